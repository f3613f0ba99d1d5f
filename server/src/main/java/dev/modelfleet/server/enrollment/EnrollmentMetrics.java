package dev.modelfleet.server.enrollment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * {@code modelfleet_enrollments_total{result,reason}}: enrollments that succeeded ({@code
 * result="enrolled"}, reason {@code active} or {@code awaiting-approval}), retries answered with
 * the device an earlier attempt enrolled ({@code result="retried"}, same reasons), and those
 * refused, by why. {@code modelfleet_enrollments_without_key_proof_total}: of those enrolled, the
 * ones that sent no device_key_proof (agents from before it), which
 * MODELFLEET_ENROLLMENT_REQUIRE_KEY_PROOF would refuse.
 */
// created at start, so its series are scraped (at 0) before anything happened
@Startup
@ApplicationScoped
public class EnrollmentMetrics {

  /** Why an enrollment was refused; each reason is a series from the start, at 0. */
  public static final List<String> REFUSALS =
      List.of(
          "missing-token",
          "unknown-token",
          "revoked",
          "expired",
          "used-up",
          "invalid-public-key",
          "missing-key-proof",
          "invalid-key-proof",
          "key-enrolled",
          "missing-certificate-request",
          "rate-limited");

  private final MeterRegistry registry;
  private final Counter withoutKeyProof;

  public EnrollmentMetrics(MeterRegistry registry) {
    this.registry = registry;
    withoutKeyProof =
        Counter.builder("modelfleet.enrollments.without.key.proof")
            .description(
                "Devices enrolled without device_key_proof (agents from before it), which"
                    + " MODELFLEET_ENROLLMENT_REQUIRE_KEY_PROOF would refuse")
            .register(registry);
    enrollments("enrolled", "active");
    enrollments("enrolled", "awaiting-approval");
    enrollments("retried", "active");
    enrollments("retried", "awaiting-approval");
    REFUSALS.forEach(reason -> enrollments("refused", reason));
  }

  void retried(boolean awaitingApproval) {
    enrollments("retried", awaitingApproval ? "awaiting-approval" : "active").increment();
  }

  void enrolled(boolean awaitingApproval, boolean keyProven) {
    enrollments("enrolled", awaitingApproval ? "awaiting-approval" : "active").increment();
    if (!keyProven) {
      withoutKeyProof.increment();
    }
  }

  /** {@code reason}: one of {@link #REFUSALS}. */
  public void refused(String reason) {
    enrollments("refused", reason).increment();
  }

  private Counter enrollments(String result, String reason) {
    return Counter.builder("modelfleet.enrollments")
        .description("Enrollment attempts by result and reason")
        .tag("result", result)
        .tag("reason", reason)
        .register(registry);
  }
}
