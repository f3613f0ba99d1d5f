package dev.modelfleet.server.agentapi;

import static dev.modelfleet.server.support.Api.admin;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Heartbeats are buffered and written in batches; what they say must still land, promptly. */
@QuarkusTest
class HeartbeatIngestTest {

  @Inject AgroalDataSource dataSource;

  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void countersLandInDeviceModelHealthAndLastSeenMoves() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    UUID deviceId = UUID.fromString(device.getDeviceId());
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next();
    Eventually.until(
        "last_seen_at is written",
        () -> lastSeen(deviceId) != null); // Hello is written synchronously
    OffsetDateTime afterHello = lastSeen(deviceId);
    Thread.sleep(20);

    String variant = UUID.randomUUID().toString();
    stream.send(
        heartbeat(
            System.currentTimeMillis(),
            counters("detector", "2.0.0", variant, 1, 1, 1, 1, "cuda"),
            counters("detector", "", variant, 999, 999, 1, 1, "cpu"), // pre-version agent: skipped
            counters(
                "detector", "2.0.0", variant, 120, 3, 4.5, 9.25, "cuda"), // twice: the last counts
            counters("classifier", "1.1.0", "not-a-uuid", 7, 0, 0.5, 0.75, "cpu\0")));

    Eventually.until("two health rows", () -> health(deviceId).size() == 2);
    Map<String, String> health = health(deviceId);
    assertEquals(variant + " 120 3 4.5 9.25 cuda", health.get("detector 2.0.0"));
    assertEquals("null 7 0 0.5 0.75 cpu", health.get("classifier 1.1.0"));
    assertTrue(lastSeen(deviceId).isAfter(afterHello), "last_seen_at moved with the heartbeat");
    admin()
        .get("/api/v1/devices/" + deviceId)
        .then()
        .body("installed[0].model", org.hamcrest.Matchers.equalTo("detector"))
        .body("installed[0].variantId", org.hamcrest.Matchers.equalTo(variant))
        .body("installed[0].active", org.hamcrest.Matchers.equalTo(true));

    // the newest figures replace the old ones
    stream.send(
        heartbeat(
            System.currentTimeMillis(),
            counters("detector", "2.0.0", variant, 150, 4, 4.0, 8.0, "cuda")));
    Eventually.until(
        "the newest figures replace the old",
        () -> health(deviceId).get("detector 2.0.0").startsWith(variant + " 150 4 "));
    stream.cancel();
  }

  @Test
  void ingestFiguresMoveAndAddUp() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next();
    admin()
        .post("/api/v1/system/ingest/reset")
        .then()
        .statusCode(200)
        .body("heartbeatsReceived", org.hamcrest.Matchers.equalTo(0));

    int sent = 25;
    for (int i = 0; i < sent; i++) {
      // sent two seconds ago by the device's clock: the latency must show it
      stream.send(
          heartbeat(
              System.currentTimeMillis() - 2_000, counters("m", "1.0.0", "", i, 0, 1, 2, "cpu")));
    }
    // an empty queue can still mean a flush in flight: wait until every heartbeat is accounted
    // for, and fail below with the figures if they never add up
    Eventually.until(
        "every heartbeat is accounted for",
        () -> {
          JsonPath now = ingest();
          return now.getLong("heartbeatsReceived") == sent
              && now.getInt("queueDepth") == 0
              && accountedFor(now) == sent;
        });
    JsonPath figures = ingest();
    assertEquals(sent, accountedFor(figures), figures.prettify());
    assertTrue(figures.getLong("heartbeatsFlushed") >= 1, figures.prettify());
    assertTrue(figures.getLong("flushes") >= 1, figures.prettify());
    assertTrue(figures.getInt("connectedDevices") >= 1, figures.prettify());
    double p50 = figures.getDouble("p50Ms");
    double p99 = figures.getDouble("p99Ms");
    double max = figures.getDouble("maxMs");
    assertTrue(p50 >= 2_000 && p50 <= p99 && p99 <= max && max < 10_000, figures.prettify());
    double receipt = figures.getDouble("receiptToCommitMaxMs");
    assertTrue(receipt > 0 && receipt < 2_000, figures.prettify());
    stream.cancel();
  }

  @Test
  void theAgentReleaseAHeartbeatNamesIsStoredOnTheDeviceAndOneNamingNoneKeepsIt() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    UUID deviceId = UUID.fromString(device.getDeviceId());
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello(); // an agent whose Hello names no release
    stream.next();
    assertEquals(null, agentVersion(deviceId));

    stream.send(
        AgentMessage.newBuilder()
            .setHeartbeat(
                Heartbeat.newBuilder()
                    .setSentAtMs(System.currentTimeMillis())
                    .setAgentVersion("0.4.2"))
            .build());
    Eventually.until(
        "the heartbeat's release is stored", () -> "0.4.2".equals(agentVersion(deviceId)));
    admin()
        .get("/api/v1/devices/" + deviceId)
        .then()
        .statusCode(200)
        .body("agent.version", org.hamcrest.Matchers.equalTo("0.4.2"));

    // one naming none (an agent from before heartbeats named it) is written, and keeps the release
    OffsetDateTime before = lastSeen(deviceId);
    stream.send(heartbeat(System.currentTimeMillis()));
    Eventually.until("the next heartbeat is written", () -> lastSeen(deviceId).isAfter(before));
    assertEquals("0.4.2", agentVersion(deviceId));

    // a device cannot fill the column with what it likes: cut as Hello's
    stream.send(
        AgentMessage.newBuilder()
            .setHeartbeat(
                Heartbeat.newBuilder()
                    .setSentAtMs(System.currentTimeMillis())
                    .setAgentVersion("9".repeat(10_000)))
            .build());
    Eventually.until("a long release is cut", () -> "9".repeat(64).equals(agentVersion(deviceId)));
    stream.cancel();
  }

  @Test
  void ingestFiguresAreForAdminsOnly() {
    given().get("/api/v1/system/ingest").then().statusCode(401);
    given().post("/api/v1/system/ingest/reset").then().statusCode(401);
  }

  private static long accountedFor(JsonPath figures) {
    return figures.getLong("heartbeatsFlushed")
        + figures.getLong("heartbeatsReplaced")
        + figures.getLong("heartbeatsDropped");
  }

  private static JsonPath ingest() {
    return admin().get("/api/v1/system/ingest").then().statusCode(200).extract().jsonPath();
  }

  private static AgentMessage heartbeat(long sentAtMs, ModelCounters... counters) {
    Heartbeat.Builder beat = Heartbeat.newBuilder().setSentAtMs(sentAtMs);
    if (counters.length > 0) {
      beat.addInstalled(
          InstalledModel.newBuilder()
              .setModel(counters[0].getModel())
              .setVersion(counters[0].getVersion())
              .setVariantId(counters[0].getVariantId())
              .setSha256("ab".repeat(32))
              .setActive(true));
    }
    for (ModelCounters c : counters) {
      beat.addCounters(c);
    }
    return AgentMessage.newBuilder().setHeartbeat(beat).build();
  }

  private static ModelCounters counters(
      String model,
      String version,
      String variantId,
      long requests,
      long errors,
      double p50,
      double p95,
      String provider) {
    return ModelCounters.newBuilder()
        .setModel(model)
        .setVersion(version)
        .setVariantId(variantId)
        .setRequests(requests)
        .setErrors(errors)
        .setP50Ms(p50)
        .setP95Ms(p95)
        .setExecutionProviderUsed(provider)
        .build();
  }

  /** "model version" to "variant requests errors p50 p95 provider". */
  private Map<String, String> health(UUID deviceId) {
    Map<String, String> rows = new LinkedHashMap<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "select model, version, variant_id, requests, errors, p50_ms, p95_ms, execution_provider_used"
                    + " from device_model_health where device_id = ? order by model")) {
      s.setObject(1, deviceId);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          rows.put(
              r.getString(1) + " " + r.getString(2),
              r.getString(3)
                  + " "
                  + r.getLong(4)
                  + " "
                  + r.getLong(5)
                  + " "
                  + r.getDouble(6)
                  + " "
                  + r.getDouble(7)
                  + " "
                  + r.getString(8));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return rows;
  }

  private String agentVersion(UUID deviceId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement("select agent_version from devices where id = ?")) {
      s.setObject(1, deviceId);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getString(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private OffsetDateTime lastSeen(UUID deviceId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement("select last_seen_at from devices where id = ?")) {
      s.setObject(1, deviceId);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getObject(1, OffsetDateTime.class);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
