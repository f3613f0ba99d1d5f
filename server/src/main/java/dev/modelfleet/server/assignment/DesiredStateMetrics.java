package dev.modelfleet.server.assignment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;

/** {@code modelfleet_desired_states_issued_total}: desired states signed and committed here. */
// created at start, so its series are scraped (at 0) before anything happened
@Startup
@ApplicationScoped
class DesiredStateMetrics {

  private final Counter issued;

  DesiredStateMetrics(MeterRegistry registry) {
    issued =
        Counter.builder("modelfleet.desired.states.issued")
            .description("Signed desired states committed on this replica (one per device change)")
            .register(registry);
  }

  void committed(@Observes(during = TransactionPhase.AFTER_SUCCESS) DesiredStateChanged change) {
    issued.increment();
  }
}
