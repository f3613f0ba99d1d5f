package dev.modelfleet.server.device.heartbeat;

import static dev.modelfleet.server.support.Api.admin;

import dev.modelfleet.server.device.InstalledModelInfo;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What one replica's heartbeat ingest keeps up with: DEVICES devices (two model versions each)
 * heartbeating at RATE a second for SECONDS seconds, straight into the ingest path (no gRPC), then
 * the figures of GET /api/v1/system/ingest. 60,000 devices at the default 15 s interval are 4,000
 * heartbeats a second. Skipped in the normal build; run it with {@code ./mvnw -pl server verify
 * -Dtest=HeartbeatIngestBenchmark -Dbench=true}.
 */
@QuarkusTest
@EnabledIfSystemProperty(named = "bench", matches = "true")
class HeartbeatIngestBenchmark {

  private static final int DEVICES = Integer.getInteger("bench.devices", 20_000);
  private static final int RATE = Integer.getInteger("bench.rate", 4_000);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 15);

  @Inject AgroalDataSource dataSource;
  @Inject HeartbeatIngest ingest;

  @Test
  void heartbeatsPerSecond() throws Exception {
    String tag = "bench-" + UUID.randomUUID();
    List<UUID> devices = insertDevices(tag);
    try {
      admin().post("/api/v1/system/ingest/reset").then().statusCode(200);
      long start = System.nanoTime();
      long sent = 0;
      long total = (long) RATE * SECONDS;
      while (sent < total) {
        long due = (System.nanoTime() - start) * RATE / 1_000_000_000L;
        for (; sent < Math.min(due, total); sent++) {
          UUID device = devices.get((int) (sent % devices.size()));
          ingest.heartbeat(device, System.currentTimeMillis(), installed(), health(sent), "bench");
        }
        Thread.sleep(1);
      }
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (admin().get("/api/v1/system/ingest").path("queueDepth").equals(0) == false
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      System.out.printf(
          "%d devices, %d heartbeats/s for %d s:%n%s%n",
          DEVICES,
          RATE,
          SECONDS,
          admin().get("/api/v1/system/ingest").then().extract().asPrettyString());
    } finally {
      delete(tag);
    }
  }

  private static List<InstalledModelInfo> installed() {
    return List.of(
        new InstalledModelInfo(
            "detector", "2.0.0", UUID.randomUUID().toString(), "ab".repeat(32), true),
        new InstalledModelInfo(
            "classifier", "1.4.0", UUID.randomUUID().toString(), "cd".repeat(32), true));
  }

  private static List<ModelHealthInfo> health(long n) {
    return List.of(
        new ModelHealthInfo("detector", "2.0.0", null, n, n / 100, 4.5, 9.0, "cuda"),
        new ModelHealthInfo("classifier", "1.4.0", null, n, 0, 0.8, 1.5, "cpu"));
  }

  /** Decommissioned, so that no other test's assignment picks them up. */
  private List<UUID> insertDevices(String tag) throws SQLException {
    List<UUID> ids = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement insert =
            c.prepareStatement(
                "insert into devices (id, name, status, public_key, credential_hash, enrolled_at)"
                    + " values (?, ?, 'decommissioned', '\\x00', repeat('0', 64), now())")) {
      for (int i = 0; i < DEVICES; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        insert.setObject(1, id);
        insert.setString(2, tag);
        insert.addBatch();
      }
      insert.executeBatch();
    }
    return ids;
  }

  private void delete(String tag) throws SQLException {
    try (Connection c = dataSource.getConnection();
        var s = c.createStatement()) {
      s.execute(
          "delete from device_model_health where device_id in"
              + " (select id from devices where name = '"
              + tag
              + "')");
      s.execute("delete from devices where name = '" + tag + "'");
    }
  }
}
