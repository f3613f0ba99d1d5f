package dev.modelfleet.server.rollout;

import dev.modelfleet.server.common.FleetGauges;
import dev.modelfleet.server.common.LabeledGauges;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rollouts as Prometheus sees them: {@code modelfleet_rollouts{state}}, the devices of each running
 * rollout by state ({@code modelfleet_rollout_devices{rollout_id,state}}; a rollout's series go
 * away once it stops running, so labels stay bounded), and breaches: a device failing a health gate
 * ({@code modelfleet_rollout_gate_breaches_total{gate}}) and a wave passing its failure threshold
 * ({@code modelfleet_rollout_wave_breaches_total{action}}).
 */
// created at start, so its series are scraped (at 0) before anything happened
@Startup
@ApplicationScoped
class RolloutMetrics implements FleetGauges {

  /** The gates of {@link HealthGate}, the first word of the reasons it gives. */
  static final List<String> GATES =
      List.of("error-rate-regression", "latency-regression", "provider-fallback");

  // a device's place in a rollout, from its membership row
  private static final String DEVICES_OF_RUNNING =
      "select rd.rollout_id::text, case when rd.outcome is not null then rd.outcome"
          + " when rd.assigned_at is null then 'waiting'"
          + " when rd.released then 'released' else 'assigned' end, count(*)"
          + " from rollout_devices rd join rollouts r on r.id = rd.rollout_id"
          + " where r.state = 'running' group by 1, 2";

  private final MeterRegistry registry;
  private final LabeledGauges byState;
  private final MultiGauge devicesOfRunning;
  private final Map<String, Counter> gateBreaches = new ConcurrentHashMap<>();

  RolloutMetrics(MeterRegistry registry) {
    this.registry = registry;
    byState =
        new LabeledGauges(
            registry,
            "modelfleet.rollouts",
            "Rollouts by state",
            "state",
            Arrays.stream(RolloutState.values()).map(RolloutState::value).toList());
    devicesOfRunning =
        MultiGauge.builder("modelfleet.rollout.devices")
            .description(
                "Devices of each running rollout by state: waiting, assigned, released, skipped,"
                    + " failed, rolled_back")
            .register(registry);
    for (String gate : GATES) {
      gateBreach(gate);
    }
    for (String action : List.of(RolloutPlan.ROLLBACK, RolloutPlan.PAUSE)) {
      waveBreach(action, 0);
    }
  }

  @Override
  public void refresh(Connection connection) throws SQLException {
    byState.set(
        LabeledGauges.counts(connection, "select state, count(*) from rollouts group by 1"));
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    try (PreparedStatement statement = connection.prepareStatement(DEVICES_OF_RUNNING);
        ResultSet result = statement.executeQuery()) {
      while (result.next()) {
        rows.add(
            MultiGauge.Row.of(
                Tags.of("rollout_id", result.getString(1), "state", result.getString(2)),
                result.getLong(3)));
      }
    }
    devicesOfRunning.register(rows, true);
  }

  /** A device failed a health gate; {@code reason} starts with the gate's name. */
  void gateBreached(String reason) {
    int colon = reason.indexOf(':');
    String gate = colon < 0 ? reason : reason.substring(0, colon);
    gateBreach(GATES.contains(gate) ? gate : "other").increment();
  }

  /** A wave passed its failure threshold and the rollout paused or rolls back. */
  void waveBreached(String action) {
    waveBreach(action, 1);
  }

  private Counter gateBreach(String gate) {
    return gateBreaches.computeIfAbsent(
        gate,
        g ->
            Counter.builder("modelfleet.rollout.gate.breaches")
                .description("Devices a rollout failed because they broke a health gate")
                .tag("gate", g)
                .register(registry));
  }

  private void waveBreach(String action, int n) {
    Counter.builder("modelfleet.rollout.wave.breaches")
        .description("Waves that passed their failure threshold, by what the rollout did")
        .tag("action", action)
        .register(registry)
        .increment(n);
  }
}
