package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.Waits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The heartbeat figures as the server stored them in device_model_health. No admin endpoint
 * shows them per device yet, so this reads the table with psql from the database the e2e
 * server runs on (user postgres on 127.0.0.1, as RunningFleet sets it up). Against a server
 * that stores no figures at all yet (an empty table), the check passes with a note on stderr.
 */
final class DeviceHealth {

  /** One stored row: the figures of one version on one device. */
  record Row(String deviceId, String version, long requests, long errors, double p95Ms,
      String provider) {}

  private DeviceHealth() {}

  /**
   * Devices serving the bad version report its figures, and every reporting device still
   * reports version 1 (served before, or serving still where version 2 failed).
   */
  static void assertReported(String model, List<String> healthy, List<String> failing,
      VersionBehaviour bad) {
    rows(model); // aborts the test here, not inside the wait, when psql is missing
    Map<String, Map<String, Row>> byDevice;
    try {
      byDevice = Waits.until("device_model_health rows for " + model, Duration.ofSeconds(20),
          () -> {
            Waits.sleep(Duration.ofMillis(200));
            Map<String, Map<String, Row>> rows = rows(model);
            boolean complete = healthy.stream().allMatch(id ->
                    rows.getOrDefault(id, Map.of()).containsKey("2"))
                && failing.stream().allMatch(id ->
                    rows.getOrDefault(id, Map.of()).containsKey("1"));
            return complete ? rows : null;
          });
    } catch (IllegalStateException timedOut) {
      if (storedRows() == 0) {
        // A server from before heartbeat figures were stored: nothing to compare yet.
        System.err.println("[sim test] the server stores no heartbeat figures"
            + " (device_model_health is empty): figures not checked on the server side");
        return;
      }
      throw timedOut;
    }
    for (String id : healthy) {
      Row two = byDevice.get(id).get("2");
      assertTrue(two.requests() > 0, two.toString());
      assertEquals(two.requests() * bad.errorRate(), two.errors(), 1.0, two.toString());
      assertEquals(bad.p95Ms(), two.p95Ms(), 1e-9, two.toString());
      assertEquals(bad.provider(), two.provider(), two.toString());
      Row one = byDevice.get(id).get("1");
      assertTrue(one != null && one.requests() > 0 && one.errors() == 0,
          "the replaced version's figures are kept: " + byDevice.get(id));
    }
    for (String id : failing) {
      assertEquals(List.of("1"), List.copyOf(byDevice.get(id).keySet()),
          "a failed install never served version 2: " + byDevice.get(id));
    }
  }

  private static long storedRows() {
    return Long.parseLong(psql("select count(*) from device_model_health").trim());
  }

  private static Map<String, Map<String, Row>> rows(String model) {
    String output = psql("select device_id, version, requests, errors, p95_ms,"
        + " coalesce(execution_provider_used, '') from device_model_health where model = '"
        + model.replace("'", "''") + "'");
    Map<String, Map<String, Row>> byDevice = new HashMap<>();
    for (String line : output.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      Row row = new Row(f[0], f[1], Long.parseLong(f[2]), Long.parseLong(f[3]),
          Double.parseDouble(f[4]), f[5]);
      byDevice.computeIfAbsent(row.deviceId(), id -> new HashMap<>()).put(row.version(), row);
    }
    return byDevice;
  }

  private static String psql(String query) {
    ProcessBuilder psql = new ProcessBuilder("psql", "-h", "127.0.0.1", "-U", "postgres",
        "-d", "modelfleet_e2e", "-tA", "-F", "\t", "-c", query);
    psql.environment().put("PGPASSWORD", "postgres");
    psql.redirectErrorStream(true);
    String output;
    try {
      Process process = psql.start();
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(20, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new AssertionError("psql failed: " + output);
      }
    } catch (IOException e) {
      Assumptions.abort("psql is not installed, so device_model_health cannot be read: " + e);
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return output;
  }
}
