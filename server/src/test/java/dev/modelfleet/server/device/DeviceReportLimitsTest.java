package dev.modelfleet.server.device;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.server.assignment.DeploymentHistory;
import dev.modelfleet.server.assignment.DeploymentStatus;
import dev.modelfleet.server.common.StoredText;
import dev.modelfleet.server.device.heartbeat.ModelHealthInfo;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A device pending approval may report (so operators see what it claims to be) but cannot grow the
 * server's tables without bound: its statuses, history and health figures are capped per device,
 * the oldest going first, and the text it sends is stored cut to a bound.
 */
@QuarkusTest
class DeviceReportLimitsTest {

  private static final Duration PROCESSED = Duration.ofSeconds(120);

  @Inject AgroalDataSource dataSource;

  AgentClient agent;
  String deviceId;
  SyncStream stream;

  @BeforeEach
  void pendingDeviceOnItsStream() throws Exception {
    agent = new AgentClient();
    EnrollResponse device = agent.enroll(approvalToken());
    assertTrue(device.getAwaitingApproval());
    deviceId = device.getDeviceId();
    stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    assertTrue(stream.next().getConfig().getAwaitingApproval());
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    stream.cancel();
    agent.close();
  }

  @Test
  void thousandsOfProgressReportsLeaveAtMostTheCappedStatusesAndHistory() throws Exception {
    int reports = 1_500;
    for (int i = 0; i < reports; i++) {
      stream.send(failed("model-" + i, i + 1, "attempt " + i));
    }
    Eventually.within(
        PROCESSED,
        () ->
            assertEquals(
                1,
                rows(
                    "select count(*) from deployment_statuses where device_id = ? and model = 'model-1499'")));

    assertEquals(
        DeploymentStatus.KEPT_PER_DEVICE,
        rows("select count(*) from deployment_statuses where device_id = ?"));
    assertEquals(
        DeploymentHistory.KEPT_PER_DEVICE,
        rows("select count(*) from deployment_history where device_id = ?"));
    // the newest are kept: the oldest went first
    assertEquals(
        1,
        rows(
            "select count(*) from deployment_statuses where device_id = ?"
                + " and model = 'model-"
                + (reports - DeploymentStatus.KEPT_PER_DEVICE)
                + "'"));
    assertEquals(
        0,
        rows(
            "select count(*) from deployment_statuses where device_id = ?"
                + " and model = 'model-"
                + (reports - DeploymentStatus.KEPT_PER_DEVICE - 1)
                + "'"));
    assertEquals(
        1,
        rows(
            "select count(*) from deployment_history where device_id = ?"
                + " and model = 'model-"
                + (reports - DeploymentHistory.KEPT_PER_DEVICE)
                + "'"));
    assertEquals(
        0,
        rows(
            "select count(*) from deployment_history where device_id = ?"
                + " and model = 'model-"
                + (reports - DeploymentHistory.KEPT_PER_DEVICE - 1)
                + "'"));
    admin()
        .get("/api/v1/devices/" + deviceId + "/history?limit=1000")
        .then()
        .statusCode(200)
        .body("size()", equalTo(DeploymentHistory.KEPT_PER_DEVICE))
        .body("[0].model", equalTo("model-1499"));
  }

  @Test
  void heartbeatsNamingEverNewVersionsKeepOnlyTheMostRecentlyReported() throws Exception {
    int heartbeats = 10;
    int versionsEach = 20;
    for (int k = 0; k < heartbeats; k++) {
      Heartbeat.Builder heartbeat = Heartbeat.newBuilder().setSentAtMs(System.currentTimeMillis());
      for (int j = 0; j < versionsEach; j++) {
        heartbeat.addCounters(
            ModelCounters.newBuilder()
                .setModel("health")
                .setVersion(k + "-" + j)
                .setRequests(10)
                .setErrors(1));
      }
      stream.send(AgentMessage.newBuilder().setHeartbeat(heartbeat).build());
      String last = k + "-" + (versionsEach - 1);
      // the server keeps only a device's newest heartbeat when it falls behind: send the next
      // one once this one is stored
      Eventually.within(
          PROCESSED,
          () ->
              assertEquals(
                  1,
                  rows(
                      "select count(*) from"
                          + " device_model_health where device_id = ? and version = '"
                          + last
                          + "'")));
    }
    assertTrue(heartbeats * versionsEach > ModelHealthInfo.KEPT_PER_DEVICE);
    assertEquals(
        ModelHealthInfo.KEPT_PER_DEVICE,
        rows("select count(*) from device_model_health where device_id = ?"));
    assertEquals(
        versionsEach,
        rows(
            "select count(*) from device_model_health"
                + " where device_id = ? and version like '"
                + (heartbeats - 1)
                + "-%'"));
    assertEquals(
        0,
        rows(
            "select count(*) from device_model_health"
                + " where device_id = ? and version like '0-%'"));
  }

  @Test
  void aHundredKilobyteReasonIsStoredCutAtAWordBoundary() throws Exception {
    String words =
        "the session could not be created because the graph needs an operator"
            + " this runtime lacks; ";
    String reason = words.repeat(100 * 1024 / words.length() + 1);
    assertTrue(reason.length() > 100 * 1024);
    stream.send(failed("huge-reason", 1, reason));

    String stored = storedReason("huge-reason");
    assertTrue(
        stored.codePointCount(0, stored.length()) <= StoredText.REASON_LENGTH,
        stored.length() + " characters");
    assertTrue(stored.length() > StoredText.REASON_LENGTH / 2, "most of the bound is used");
    assertTrue(stored.endsWith("…"), stored);
    String kept = stored.substring(0, stored.length() - 1);
    assertTrue(reason.startsWith(kept), "a prefix of what the device sent");
    assertFalse(Character.isWhitespace(kept.charAt(kept.length() - 1)), "no dangling space");
    assertFalse(
        Character.isLetter(reason.charAt(kept.length())),
        "cut between words, not inside one: ..."
            + reason.substring(kept.length() - 10, kept.length() + 10));

    String cause =
        admin()
            .get("/api/v1/devices/" + deviceId + "/history")
            .then()
            .statusCode(200)
            .extract()
            .path("[0].cause");
    assertTrue(cause.startsWith("load-failed: the session could not"), cause);
    assertTrue(
        cause.length() <= StoredText.NAME_LENGTH + 2 + StoredText.REASON_LENGTH,
        cause.length() + " characters in the history line");
  }

  @Test
  void aReasonWithoutSpacesIsCutBetweenCharactersNeverInsideOne() throws Exception {
    String reason = "🙂e\u0301".repeat(40_000); // surrogate pairs, and e + combining acute
    stream.send(failed("emoji-reason", 1, reason));

    String stored = storedReason("emoji-reason");
    assertTrue(stored.codePointCount(0, stored.length()) <= StoredText.REASON_LENGTH);
    assertTrue(stored.endsWith("…"), stored);
    String kept = stored.substring(0, stored.length() - 1);
    assertTrue(reason.startsWith(kept));
    assertTrue(
        kept.endsWith("e\u0301") || kept.endsWith("🙂"),
        "ends after a whole character: " + kept.substring(kept.length() - 4));
    assertTrue(
        kept.codePoints()
            .noneMatch(cp -> cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE),
        "no half of a surrogate pair");
  }

  private String storedReason(String model) {
    Eventually.within(
        PROCESSED,
        () ->
            admin()
                .get("/api/v1/devices/" + deviceId)
                .then()
                .statusCode(200)
                .body("deployments.model", hasItem(model)));
    List<Map<String, Object>> deployments =
        admin()
            .get("/api/v1/devices/" + deviceId)
            .then()
            .extract()
            .jsonPath()
            .getList("deployments");
    return deployments.stream()
        .filter(d -> model.equals(d.get("model")))
        .map(d -> (String) d.get("reason"))
        .findFirst()
        .orElseThrow();
  }

  private static AgentMessage failed(String model, long generation, String reason) {
    return AgentMessage.newBuilder()
        .setProgress(
            DeploymentProgress.newBuilder()
                .setModel(model)
                .setVersion("1")
                .setGeneration(generation)
                .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
                .setReasonCode("load-failed")
                .setReason(reason))
        .build();
  }

  /** The single number {@code sql} counts for this test's device (its one parameter). */
  private long rows(String sql) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setObject(1, UUID.fromString(deviceId));
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String approvalToken() {
    return adminJson()
        .body(
            Map.of(
                "name",
                Api.unique("token"),
                "maxUses",
                1,
                "expiresInSeconds",
                3600,
                "requireApproval",
                true))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(201)
        .extract()
        .path("token");
  }
}
