package dev.modelfleet.server.device;

import dev.modelfleet.server.common.FleetGauges;
import dev.modelfleet.server.common.LabeledGauges;
import dev.modelfleet.server.common.ModelFleetConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/**
 * {@code modelfleet_devices{status}} and {@code modelfleet_devices_connectivity{state}}: active
 * devices heard from within three heartbeat intervals count as connected, the rest as disconnected.
 * Read from {@code devices.last_seen_at}, so every replica agrees.
 */
// created at start, so its series are scraped (at 0) before anything happened
@Startup
@ApplicationScoped
class DeviceGauges implements FleetGauges {

  private final LabeledGauges byStatus;
  private final LabeledGauges connectivity;
  private final long offlineAfterMs;

  DeviceGauges(MeterRegistry registry, ModelFleetConfig config) {
    List<String> statuses = Arrays.stream(DeviceStatus.values()).map(DeviceStatus::value).toList();
    byStatus =
        new LabeledGauges(
            registry, "modelfleet.devices", "Devices by life-cycle status", "status", statuses);
    connectivity =
        new LabeledGauges(
            registry,
            "modelfleet.devices.connectivity",
            "Active devices heard from within three heartbeat intervals (connected) or not",
            "state",
            List.of("connected", "disconnected"));
    offlineAfterMs = config.heartbeatInterval().multipliedBy(3).toMillis();
  }

  @Override
  public void refresh(Connection connection) throws SQLException {
    byStatus.set(
        LabeledGauges.counts(connection, "select status, count(*) from devices group by 1"));
    connectivity.set(
        LabeledGauges.counts(
            connection,
            "select case when last_seen_at > now() - ? * interval '1 millisecond'"
                + " then 'connected' else 'disconnected' end, count(*)"
                + " from devices where status = 'active' group by 1",
            offlineAfterMs));
  }
}
