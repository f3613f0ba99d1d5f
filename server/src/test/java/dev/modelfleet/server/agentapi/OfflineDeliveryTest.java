package dev.modelfleet.server.agentapi;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.protocol.agent.v1.ReportAck;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.device.heartbeat.HeartbeatIngest;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A device's reports and heartbeats over a real Sync stream when its link is unreliable: numbered
 * reports acknowledged only once stored, a resend after a cut stored once, heartbeats made offline
 * stored at their own times without moving "last seen" or the installed models back.
 */
@QuarkusTest
class OfflineDeliveryTest {

  static final String QUEUE = "2f0c7f3e-queue";

  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  /** A stream past its Hello and SyncConfig; the config must announce acknowledgements. */
  SyncStream open(EnrollResponse device) throws Exception {
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    ServerMessage config = stream.next();
    assertTrue(config.getConfig().getAcksReports(), config.toString());
    return stream;
  }

  static AgentMessage report(long seq, String version) {
    return AgentMessage.newBuilder()
        .setProgress(
            DeploymentProgress.newBuilder()
                .setModel("classifier")
                .setVersion(version)
                .setGeneration(1)
                .setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
                // installed from a bundle: such a report is history even when nothing changed,
                // so a duplicate stored twice would show as a second line
                .setBundleId("usb-stick-1")
                .setMadeAtMs(Instant.now().minus(Duration.ofHours(1)).toEpochMilli())
                .setReportQueue(QUEUE)
                .setReportSeq(seq))
        .build();
  }

  static ReportAck nextAck(SyncStream stream) throws Exception {
    while (true) {
      ServerMessage message = stream.next();
      if (message.hasReportAck()) {
        return message.getReportAck();
      }
    }
  }

  @Test
  void aReportIsAcknowledgedOnlyOnceItsTransactionCommitted() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream stream = open(device);
    UUID id = UUID.fromString(device.getDeviceId());

    AgroalDataSource db = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection holder = db.getConnection()) {
      // hold the device's row as an assignment would: the report's transaction waits for it
      holder.setAutoCommit(false);
      try (PreparedStatement lock =
          holder.prepareStatement("select id from devices where id = ? for update")) {
        lock.setObject(1, id);
        lock.executeQuery().close();
      }
      stream.send(report(1, "1"));
      assertNull(
          stream.received.poll(1, TimeUnit.SECONDS), "no ack while the report cannot be stored");
      holder.commit();
    }
    ReportAck ack = nextAck(stream);
    assertEquals(QUEUE, ack.getReportQueue());
    assertEquals(1, ack.getReportSeq());
    // read at once, no waiting: the ack promised it is stored
    admin()
        .get("/api/v1/devices/" + id)
        .then()
        .body("deployments[0].state", org.hamcrest.Matchers.equalTo("active"))
        .body("deployments[0].version", org.hamcrest.Matchers.equalTo("1"));
    stream.cancel();
  }

  @Test
  void aReportResentAfterAStreamCutBeforeItsAckIsStoredOnceAndAcknowledgedAgain() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream stream = open(device);
    stream.send(report(1, "1"));
    stream.send(report(2, "2"));
    assertEquals(1, nextAck(stream).getReportSeq());
    assertEquals(2, nextAck(stream).getReportSeq());
    // the link breaks before the device saw the acks: it sends its whole queue again
    stream.cancel();

    SyncStream again = open(device);
    again.send(report(1, "1"));
    again.send(report(2, "2"));
    again.send(report(3, "3"));
    assertEquals(1, nextAck(again).getReportSeq());
    assertEquals(2, nextAck(again).getReportSeq());
    assertEquals(3, nextAck(again).getReportSeq());

    List<String> lines = new ArrayList<>();
    admin()
        .get("/api/v1/devices/" + device.getDeviceId() + "/history")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("findAll { it.model == 'classifier' }.version", String.class)
        .forEach(lines::add);
    assertEquals(List.of("3", "2", "1"), lines, "one line per outcome, newest first");
    admin()
        .get("/api/v1/devices/" + device.getDeviceId())
        .then()
        .body("deployments[0].version", org.hamcrest.Matchers.equalTo("3"));
    again.cancel();
  }

  @Test
  void heartbeatsMadeOfflineAreStoredAtTheirTimesWithoutMovingLastSeenBack() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    UUID id = UUID.fromString(device.getDeviceId());
    SyncStream stream = open(device);
    Instant helloAt = Instant.now();

    stream.send(late(Duration.ofMinutes(20), 10, "old-model"));
    stream.send(late(Duration.ofMinutes(10), 20, "old-model"));
    stream.send(
        AgentMessage.newBuilder()
            .setHeartbeat(
                Heartbeat.newBuilder()
                    .setSentAtMs(System.currentTimeMillis())
                    .addInstalled(
                        InstalledModel.newBuilder().setModel("classifier").setVersion("1"))
                    .addCounters(counters(30)))
            .build());

    Eventually.until(
        "three samples, one per heartbeat, at their own times",
        Duration.ofSeconds(20),
        () -> samples(id).size() == 3);
    List<Instant> at = samples(id);
    Instant now = Instant.now();
    assertNear(now.minus(Duration.ofMinutes(20)), at.get(0));
    assertNear(now.minus(Duration.ofMinutes(10)), at.get(1));
    assertNear(now, at.get(2));
    assertEquals(
        30,
        dev.modelfleet.server.support.Db.number(
            "select requests from device_model_health where device_id = '" + id + "'"),
        "the gates read the newest figures, the live heartbeat's");
    Instant lastSeen =
        Instant.parse(admin().get("/api/v1/devices/" + id).path("lastSeenAt").toString());
    assertTrue(!lastSeen.isBefore(helloAt.minusSeconds(5)), "last seen not moved back");
    assertEquals(
        List.of("classifier"),
        admin().get("/api/v1/devices/" + id).jsonPath().getList("installed.model"),
        "installed as the live heartbeat said, not the late ones");
    stream.cancel();
  }

  @Test
  void aHeartbeatMadeOfflineThatArrivesAfterANewerOneStillGetsItsSample() throws Exception {
    // a device whose live heartbeat reached the server before its queue did (a reconnect, or
    // the device's row held by another transaction when the late ones were due): the live
    // figures are newer and stay, but the late heartbeat is still a point of its history
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    UUID id = UUID.fromString(device.getDeviceId());
    SyncStream stream = open(device);
    stream.send(
        AgentMessage.newBuilder()
            .setHeartbeat(
                Heartbeat.newBuilder()
                    .setSentAtMs(System.currentTimeMillis())
                    .addCounters(counters(30)))
            .build());
    Eventually.until(
        "the live heartbeat stored", Duration.ofSeconds(20), () -> samples(id).size() == 1);

    stream.send(late(Duration.ofMinutes(10), 20, "old-model"));
    stream.send(late(Duration.ofSeconds(30), 25, "old-model"));
    // a stream's messages are handled in order: once this report is acknowledged, both late
    // heartbeats wait in the server's queue, and a flush writes them
    stream.send(report(1, "1"));
    assertEquals(1, nextAck(stream).getReportSeq());
    Arc.container().instance(HeartbeatIngest.class).get().flush();

    List<Instant> at = samples(id);
    assertEquals(2, at.size(), "the late heartbeat 10 minutes back has its sample: " + at);
    assertNear(Instant.now().minus(Duration.ofMinutes(10)), at.get(0));
    assertEquals(
        30,
        dev.modelfleet.server.support.Db.number(
            "select requests from device_model_health where device_id = '" + id + "'"),
        "the newest figures stay");
    stream.cancel();
  }

  static AgentMessage late(Duration age, long requests, String installedModel) {
    long now = System.currentTimeMillis();
    return AgentMessage.newBuilder()
        .setHeartbeat(
            Heartbeat.newBuilder()
                // a device clock an hour off: only the age counts
                .setSentAtMs(now - age.toMillis() + Duration.ofHours(1).toMillis())
                .setQueuedForMs(age.toMillis())
                .addInstalled(InstalledModel.newBuilder().setModel(installedModel).setVersion("0"))
                .addCounters(counters(requests)))
        .build();
  }

  static ModelCounters counters(long requests) {
    return ModelCounters.newBuilder()
        .setModel("classifier")
        .setVersion("1")
        .setRequests(requests)
        .setP50Ms(1)
        .setP95Ms(2)
        .build();
  }

  static void assertNear(Instant expected, Instant actual) {
    assertTrue(
        Duration.between(expected, actual).abs().compareTo(Duration.ofSeconds(30)) < 0,
        "expected about " + expected + ", was " + actual);
  }

  static List<Instant> samples(UUID device) {
    AgroalDataSource db = Arc.container().instance(AgroalDataSource.class).get();
    List<Instant> at = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "select at from device_health_samples where device_id = ? order by at")) {
      s.setObject(1, device);
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          at.add(rows.getObject(1, Timestamp.class).toInstant());
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return at;
  }
}
