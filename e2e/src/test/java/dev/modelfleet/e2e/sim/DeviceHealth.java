package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.TestDatabase;
import dev.modelfleet.e2e.Waits;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The heartbeat figures as the server stored them in device_model_health. No admin endpoint shows
 * them per device, so this reads the table over JDBC from the database the e2e server runs on (user
 * postgres on 127.0.0.1, as RunningFleet sets it up).
 */
final class DeviceHealth {

  /** One stored row: the figures of one version on one device. */
  record Row(
      String deviceId, String version, long requests, long errors, double p95Ms, String provider) {}

  private DeviceHealth() {}

  /**
   * Devices serving the bad version report its figures, and every reporting device still reports
   * version 1 (served before, or serving still where version 2 failed).
   */
  static void assertReported(
      String model, List<String> healthy, List<String> failing, VersionBehaviour bad) {
    Map<String, Map<String, Row>> byDevice =
        Waits.until(
            "device_model_health rows for " + model,
            Duration.ofSeconds(20),
            () -> {
              Map<String, Map<String, Row>> rows = rows(model);
              boolean complete =
                  healthy.stream().allMatch(id -> rows.getOrDefault(id, Map.of()).containsKey("2"))
                      && failing.stream()
                          .allMatch(id -> rows.getOrDefault(id, Map.of()).containsKey("1"));
              return complete ? rows : null;
            });
    for (String id : healthy) {
      Row two = byDevice.get(id).get("2");
      assertTrue(two.requests() > 0, two.toString());
      assertEquals(two.requests() * bad.errorRate(), two.errors(), 1.0, two.toString());
      assertEquals(bad.p95Ms(), two.p95Ms(), 1e-9, two.toString());
      assertEquals(bad.provider(), two.provider(), two.toString());
      Row one = byDevice.get(id).get("1");
      assertTrue(
          one != null && one.requests() > 0 && one.errors() == 0,
          "the replaced version's figures are kept: " + byDevice.get(id));
    }
    for (String id : failing) {
      assertEquals(
          List.of("1"),
          List.copyOf(byDevice.get(id).keySet()),
          "a failed install never served version 2: " + byDevice.get(id));
    }
  }

  private static Map<String, Map<String, Row>> rows(String model) {
    String sql =
        "select device_id, version, requests, errors, p95_ms,"
            + " coalesce(execution_provider_used, '') from device_model_health where model = ?";
    try (Connection db =
            DriverManager.getConnection(TestDatabase.jdbcUrl(), "postgres", "postgres");
        PreparedStatement query = db.prepareStatement(sql)) {
      query.setString(1, model);
      Map<String, Map<String, Row>> byDevice = new HashMap<>();
      try (ResultSet r = query.executeQuery()) {
        while (r.next()) {
          Row row =
              new Row(
                  r.getString(1),
                  r.getString(2),
                  r.getLong(3),
                  r.getLong(4),
                  r.getDouble(5),
                  r.getString(6));
          byDevice.computeIfAbsent(row.deviceId(), id -> new HashMap<>()).put(row.version(), row);
        }
      }
      return byDevice;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read device_model_health: " + e.getMessage(), e);
    }
  }
}
