package dev.modelfleet.server.enrollment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * {@code modelfleet_enrollments_total{result,reason}}: enrollments that succeeded ({@code
 * result="enrolled"}, reason {@code active} or {@code awaiting-approval}) and those refused, by
 * why.
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
          "missing-certificate-request",
          "rate-limited");

  private final MeterRegistry registry;

  public EnrollmentMetrics(MeterRegistry registry) {
    this.registry = registry;
    enrollments("enrolled", "active");
    enrollments("enrolled", "awaiting-approval");
    REFUSALS.forEach(reason -> enrollments("refused", reason));
  }

  void enrolled(boolean awaitingApproval) {
    enrollments("enrolled", awaitingApproval ? "awaiting-approval" : "active").increment();
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
