package dev.modelfleet.server.quantization;

import dev.modelfleet.server.common.FleetGauges;
import dev.modelfleet.server.common.LabeledGauges;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * Derivation jobs: {@code modelfleet_derivation_jobs{state}} (all replicas' jobs, from the table)
 * and {@code modelfleet_derivation_job_duration_seconds{outcome}} for the jobs this replica ran.
 */
// created at start, so its series are scraped (at 0) before anything happened
@Startup
@ApplicationScoped
class DerivationMetrics implements FleetGauges {

  private static final List<String> STATES =
      List.of(
          DerivationJob.QUEUED,
          DerivationJob.RUNNING,
          DerivationJob.SUCCEEDED,
          DerivationJob.PARTIALLY_SUCCEEDED,
          DerivationJob.FAILED);

  private final LabeledGauges byState;
  private final Timer succeeded;
  private final Timer partially;
  private final Timer failed;

  DerivationMetrics(MeterRegistry registry) {
    byState =
        new LabeledGauges(
            registry, "modelfleet.derivation.jobs", "Derivation jobs by state", "state", STATES);
    succeeded = timer(registry, DerivationJob.SUCCEEDED);
    partially = timer(registry, DerivationJob.PARTIALLY_SUCCEEDED);
    failed = timer(registry, DerivationJob.FAILED);
  }

  private static Timer timer(MeterRegistry registry, String outcome) {
    return Timer.builder("modelfleet.derivation.job.duration")
        .description("How long the derivation jobs this replica ran took, by how they ended")
        .tag("outcome", outcome)
        .serviceLevelObjectives(
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(15),
            Duration.ofSeconds(60),
            Duration.ofMinutes(5),
            Duration.ofMinutes(15),
            Duration.ofHours(1))
        .register(registry);
  }

  @Override
  public void refresh(Connection connection) throws SQLException {
    byState.set(
        LabeledGauges.counts(connection, "select state, count(*) from derivation_jobs group by 1"));
  }

  void finished(String state, long nanos) {
    Timer timer =
        switch (state) {
          case DerivationJob.SUCCEEDED -> succeeded;
          case DerivationJob.PARTIALLY_SUCCEEDED -> partially;
          default -> failed;
        };
    timer.record(Duration.ofNanos(nanos));
  }
}
