package dev.modelfleet.server.device;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.cluster.ClusterChannels;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Manual approval: a device enrolled with a token that requires it waits, sees nothing to run and
 * can fetch nothing, until an operator approves it (then it proceeds on the stream it holds) or
 * rejects it (then its credential is refused for good).
 */
@QuarkusTest
class DeviceApprovalTest {

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
  void aPendingDeviceGetsNothingUntilApprovedThenProceedsOnItsOpenStream() throws Exception {
    String site = Api.unique("site");
    EnrollResponse device = agent.enroll(approvalToken(Map.of("site", site)));
    assertTrue(device.getAwaitingApproval());
    String id = device.getDeviceId();
    admin().get("/api/v1/devices?status=pending").then().statusCode(200).body("id", hasItem(id));
    admin()
        .get("/api/v1/devices?status=active")
        .then()
        .statusCode(200)
        .body("id", not(hasItem(id)));

    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    assertTrue(stream.next().getConfig().getAwaitingApproval());
    stream.send(
        AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAtMs(1)).build());
    // operators see what they are asked to approve
    admin()
        .get("/api/v1/devices/" + id)
        .then()
        .statusCode(200)
        .body("status", equalTo("pending"))
        .body("hardware.arch", equalTo("x86_64"));

    var published = Fixtures.publishedClassifier(4101);
    String assignments =
        "/api/v1/models/" + published.model() + "/versions/" + published.version() + "/assignments";
    adminJson()
        .body(Map.of("selector", "site=" + site))
        .post(assignments)
        .then()
        .statusCode(200)
        .body("assigned.size()", equalTo(0));
    adminJson()
        .body(Map.of("deviceId", id))
        .post(assignments)
        .then()
        .statusCode(200)
        .body("assigned.size()", equalTo(0))
        .body("skipped[0].reason", equalTo("device is pending"));
    assertThrows(
        StatusRuntimeException.class,
        () ->
            AgentClient.concat(
                agent.fetch(device.getDeviceCredential(), published.sha256(), 0),
                new java.util.ArrayList<>()));
    given()
        .header("Authorization", "Bearer " + device.getDeviceCredential())
        .get("/agent/v1/artifacts/" + published.sha256())
        .then()
        .statusCode(404);
    assertNull(stream.received.poll(1, TimeUnit.SECONDS), "a pending device is sent nothing");

    ApiClients.Client operator = ApiClients.create("operator");
    operator
        .call()
        .post("/api/v1/devices/" + id + "/approve")
        .then()
        .statusCode(200)
        .body("status", equalTo("active"))
        .body("approvalDecidedBy", equalTo(operator.name()))
        .body("approvalDecidedAt", notNullValue());
    ServerMessage approved = stream.next();
    assertTrue(approved.hasConfig(), approved.toString());
    assertFalse(approved.getConfig().getAwaitingApproval());

    adminJson()
        .body(Map.of("selector", "site=" + site))
        .post(assignments)
        .then()
        .statusCode(200)
        .body("assigned[0].deviceId", equalTo(id));
    ServerMessage desired = stream.next();
    assertTrue(desired.hasDesiredState(), desired.toString());
    DesiredState state = DesiredState.parseFrom(desired.getDesiredState().getPayload());
    assertEquals(id, state.getDeviceId());
    assertEquals(published.model(), state.getModels(0).getModel());
    // approving again changes nothing
    admin()
        .post("/api/v1/devices/" + id + "/approve")
        .then()
        .statusCode(200)
        .body("approvalDecidedBy", equalTo(operator.name()));
    stream.cancel();
  }

  @Test
  void aDeviceApprovedOnAnotherReplicaIsToldOnItsStreamHere() throws Exception {
    EnrollResponse device = agent.enroll(approvalToken(Map.of()));
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    assertTrue(stream.next().getConfig().getAwaitingApproval());
    commitOnAnotherReplica(device.getDeviceId(), "active", ClusterChannels.APPROVED);
    ServerMessage approved = stream.next();
    assertTrue(approved.hasConfig(), approved.toString());
    assertFalse(approved.getConfig().getAwaitingApproval());
    stream.cancel();
  }

  @Test
  void aDeviceRejectedOnAnotherReplicaLosesItsStreamHere() throws Exception {
    EnrollResponse device = agent.enroll(approvalToken(Map.of()));
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    assertTrue(stream.next().getConfig().getAwaitingApproval());
    commitOnAnotherReplica(device.getDeviceId(), "rejected", ClusterChannels.REJECTED);
    assertDenied(stream.awaitEnd());
  }

  /** "Another replica": commits the status and notifies, as DeviceService's transaction does. */
  private static void commitOnAnotherReplica(String deviceId, String status, String channel)
      throws Exception {
    var config = ConfigProvider.getConfig();
    try (Connection replica =
        DriverManager.getConnection(
            config.getValue("quarkus.datasource.jdbc.url", String.class),
            config.getValue("quarkus.datasource.username", String.class),
            config.getValue("quarkus.datasource.password", String.class))) {
      replica.setAutoCommit(false);
      try (PreparedStatement update =
          replica.prepareStatement("update devices set status = ? where id = ?")) {
        update.setString(1, status);
        update.setObject(2, UUID.fromString(deviceId));
        update.executeUpdate();
      }
      try (PreparedStatement notify = replica.prepareStatement("select pg_notify(?, ?)")) {
        notify.setString(1, channel);
        notify.setString(2, deviceId);
        notify.execute();
      }
      replica.commit();
    }
  }

  @Test
  void aRejectedDeviceLosesItsStreamAndItsCredential() throws Exception {
    EnrollResponse device = agent.enroll(approvalToken(Map.of()));
    String id = device.getDeviceId();
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    assertTrue(stream.next().getConfig().getAwaitingApproval());

    ApiClients.create("operator")
        .call()
        .post("/api/v1/devices/" + id + "/reject")
        .then()
        .statusCode(200)
        .body("status", equalTo("rejected"));
    assertDenied(stream.awaitEnd());

    SyncStream again = agent.sync(device.getDeviceCredential());
    again.hello();
    assertDenied(again.awaitEnd());
    StatusRuntimeException fetch =
        assertThrows(
            StatusRuntimeException.class,
            () -> agent.fetch(device.getDeviceCredential(), "0".repeat(64), 0).hasNext());
    assertEquals(Status.Code.PERMISSION_DENIED, fetch.getStatus().getCode());
    given()
        .header("Authorization", "Bearer " + device.getDeviceCredential())
        .get("/agent/v1/artifacts/" + "0".repeat(64))
        .then()
        .statusCode(401);
    // the record stays, as rejected; rejecting again changes nothing
    admin().get("/api/v1/devices?status=rejected").then().statusCode(200).body("id", hasItem(id));
    admin()
        .post("/api/v1/devices/" + id + "/reject")
        .then()
        .statusCode(200)
        .body("status", equalTo("rejected"));
  }

  @Test
  void transitionsThatMakeNoSenseAreRefusedAndChangeNothing() throws Exception {
    EnrollResponse rejected = agent.enroll(approvalToken(Map.of()));
    admin().post("/api/v1/devices/" + rejected.getDeviceId() + "/reject").then().statusCode(200);
    assertIllegal("/api/v1/devices/" + rejected.getDeviceId() + "/approve", "rejected");

    EnrollResponse active = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    assertFalse(active.getAwaitingApproval());
    assertIllegal("/api/v1/devices/" + active.getDeviceId() + "/reject", "active");

    EnrollResponse gone = agent.enroll(approvalToken(Map.of()));
    admin()
        .post("/api/v1/devices/" + gone.getDeviceId() + "/decommission")
        .then()
        .statusCode(200)
        .body("status", equalTo("decommissioned"));
    assertIllegal("/api/v1/devices/" + gone.getDeviceId() + "/approve", "decommissioned");
    assertIllegal("/api/v1/devices/" + gone.getDeviceId() + "/reject", "decommissioned");

    admin()
        .post("/api/v1/devices/" + UUID.randomUUID() + "/approve")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("not-found"));
    admin()
        .get("/api/v1/devices?status=waiting")
        .then()
        .statusCode(400)
        .body("detail", containsString("pending"));
  }

  @Test
  void aViewerCannotApproveOrReject() throws Exception {
    EnrollResponse device = agent.enroll(approvalToken(Map.of()));
    ApiClients.Client viewer = ApiClients.create("viewer");
    for (String action : new String[] {"approve", "reject"}) {
      viewer
          .call()
          .post("/api/v1/devices/" + device.getDeviceId() + "/" + action)
          .then()
          .statusCode(403)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("forbidden"));
    }
    admin()
        .get("/api/v1/devices/" + device.getDeviceId())
        .then()
        .body("status", equalTo("pending"));
  }

  @Test
  void enrollmentTokensSayWhetherTheyRequireApproval() {
    adminJson()
        .body(Map.of("name", Api.unique("token"), "requireApproval", true))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(201)
        .body("enrollmentToken.requireApproval", equalTo(true));
    adminJson()
        .body(Map.of("name", Api.unique("token")))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(201)
        .body("enrollmentToken.requireApproval", equalTo(false));
  }

  private static void assertIllegal(String path, String status) {
    String device = path.split("/")[4];
    admin()
        .post(path)
        .then()
        .statusCode(409)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("illegal-state"))
        .body("detail", containsString(status));
    admin().get("/api/v1/devices/" + device).then().body("status", equalTo(status));
  }

  private static void assertDenied(Throwable ended) {
    StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, ended);
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("rejected"), e.getStatus().toString());
  }

  private static String approvalToken(Map<String, String> labels) {
    return adminJson()
        .body(
            Map.of(
                "name",
                Api.unique("token"),
                "labels",
                labels,
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
