package dev.modelfleet.server.agentapi;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Signatures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SyncTest {

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
  void refusesMissingOrWrongCredentials() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    for (String credential :
        new String[] {
          "", "garbage", device.getDeviceId() + ".wrong-secret", "x." + device.getDeviceCredential()
        }) {
      SyncStream stream = agent.sync(credential);
      stream.hello();
      assertCode(Status.Code.UNAUTHENTICATED, stream.awaitEnd());
    }
  }

  @Test
  void grpcHealthNeedsNoDeviceCredential() {
    var channel =
        io.grpc.ManagedChannelBuilder.forAddress("localhost", AgentClient.port())
            .usePlaintext()
            .build();
    try {
      var health =
          grpc.health.v1.HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
              .check(grpc.health.v1.HealthOuterClass.HealthCheckRequest.getDefaultInstance());
      assertEquals(
          grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING,
          health.getStatus());
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void firstMessageMustBeHello() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()).build());
    assertCode(Status.Code.INVALID_ARGUMENT, stream.awaitEnd());
  }

  @Test
  void desiredStateIsPushedLiveAndResentOnReconnect() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    var root = Signatures.verifiedRoot(device.getRootMetadata(), Signatures.pinnedRootKey());
    byte[] targetsKey = Signatures.targetsKey(root);
    byte[] directorKey = Signatures.directorKey(root);
    var published = Fixtures.publishedClassifier(51);

    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    assertEquals(15, stream.next().getConfig().getHeartbeatIntervalSeconds());

    AssignmentTestSupport.assign(published, device.getDeviceId());
    DesiredState pushed = verifiedDesiredState(stream.next(), directorKey);
    assertEquals(device.getDeviceId(), pushed.getDeviceId());
    assertEquals(1, pushed.getGeneration());
    assertTrue(pushed.getExpiresAtMs() - pushed.getIssuedAtMs() >= Duration.ofDays(7).toMillis());
    assertEquals(1, pushed.getModelsCount());
    SignedEnvelope manifestEnvelope = pushed.getModels(0).getManifest();
    Signatures.verify(manifestEnvelope, targetsKey, Dsse.VARIANT_MANIFEST_TYPE);
    VariantManifest manifest = VariantManifest.parseFrom(manifestEnvelope.getPayload());
    assertEquals(published.sha256(), manifest.getSha256());
    assertEquals(published.variantId(), manifest.getVariantId());
    stream.cancel();

    SyncStream again = agent.sync(device.getDeviceCredential());
    again.hello();
    assertTrue(again.next().hasConfig());
    assertEquals(1, verifiedDesiredState(again.next(), directorKey).getGeneration());
    again.cancel();
  }

  /** A device that reconnects late must not be handed a document about to expire. */
  @Test
  void staleDesiredStateIsReSignedOnReconnect() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    byte[] directorKey =
        Signatures.directorKey(
            Signatures.verifiedRoot(device.getRootMetadata(), Signatures.pinnedRootKey()));
    AssignmentTestSupport.assign(Fixtures.publishedClassifier(71), device.getDeviceId());
    dev.modelfleet.server.support.Db.execute(
        "update device_desired_states set expires_at = now() + interval '1 hour' where device_id = ?",
        java.util.UUID.fromString(device.getDeviceId()));

    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next();
    DesiredState renewed = verifiedDesiredState(stream.next(), directorKey);
    assertEquals(2, renewed.getGeneration());
    assertEquals(1, renewed.getModelsCount());
    assertTrue(
        renewed.getExpiresAtMs() > System.currentTimeMillis() + Duration.ofDays(6).toMillis());
    stream.cancel();
  }

  @Test
  void newerStreamAbortsOlder() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream first = agent.sync(device.getDeviceCredential());
    first.hello();
    first.next();
    SyncStream second = agent.sync(device.getDeviceCredential());
    second.hello();
    second.next();
    assertCode(Status.Code.ABORTED, first.awaitEnd());
    second.cancel();
  }

  @Test
  void heartbeatsAndProgressAreRecorded() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    var published = Fixtures.publishedClassifier(61);
    AssignmentTestSupport.assign(published, device.getDeviceId());
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next();
    stream.next();

    stream.send(
        AgentMessage.newBuilder()
            .setProgress(
                DeploymentProgress.newBuilder()
                    .setModel(published.model())
                    .setVersion(published.version())
                    .setVariantId(published.variantId())
                    .setGeneration(1)
                    .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
                    .setReason("sha256 of the download does not match the manifest")
                    .setReasonCode("sha256-mismatch")
                    .setBytesDone(10)
                    .setBytesTotal(20))
            .build());
    stream.send(
        AgentMessage.newBuilder()
            .setHeartbeat(
                Heartbeat.newBuilder()
                    .addInstalled(
                        InstalledModel.newBuilder()
                            .setModel(published.model())
                            .setVersion(published.version())
                            .setSha256(published.sha256())
                            .setActive(true)))
            .build());

    String path = "/api/v1/devices/" + device.getDeviceId();
    Eventually.until(
        "the deployment fails and the installed model shows",
        () ->
            "failed".equals(admin().get(path).path("deployments[0].state"))
                && published.model().equals(admin().get(path).path("installed[0].model")));
    admin()
        .get(path)
        .then()
        .body("deployments[0].reasonCode", org.hamcrest.Matchers.equalTo("sha256-mismatch"))
        .body("deployments[0].reason", org.hamcrest.Matchers.containsString("does not match"))
        .body("installed[0].active", org.hamcrest.Matchers.equalTo(true));
    stream.cancel();
  }

  /**
   * An ACTIVE report the server never stored (the database was away; the stream closed over it) is
   * not sent again: the device's next Hello lists the variant it serves, and stands for it.
   */
  @Test
  void aHelloServingTheDesiredVariantStandsForALostActiveReport() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    var published = Fixtures.publishedClassifier(81);
    AssignmentTestSupport.assign(published, device.getDeviceId());
    String path = "/api/v1/devices/" + device.getDeviceId();

    // serving something else: still pending, as the assignment left it
    SyncStream other = agent.sync(device.getDeviceCredential());
    other.send(helloServing(published, "0".repeat(64)));
    other.next();
    other.cancel();
    admin().get(path).then().body("deployments[0].state", org.hamcrest.Matchers.equalTo("pending"));

    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.send(helloServing(published, published.sha256()));
    stream.next();
    admin()
        .get(path)
        .then()
        .body("deployments[0].state", org.hamcrest.Matchers.equalTo("active"))
        .body("deployments[0].version", org.hamcrest.Matchers.equalTo(published.version()))
        .body("deployments[0].generation", org.hamcrest.Matchers.equalTo(1));
    stream.cancel();
  }

  private static AgentMessage helloServing(Fixtures.Published published, String sha256) {
    return AgentMessage.newBuilder()
        .setHello(
            dev.modelfleet.protocol.agent.v1.Hello.newBuilder()
                .setHardware(AgentClient.cpuHardware())
                .setAcceptedGeneration(1)
                .addInstalled(
                    InstalledModel.newBuilder()
                        .setModel(published.model())
                        .setVersion(published.version())
                        .setVariantId(published.variantId())
                        .setSha256(sha256)
                        .setActive(true)))
        .build();
  }

  @Test
  void decommissionClosesStreamAndRefusesCredential() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next();

    admin()
        .post("/api/v1/devices/" + device.getDeviceId() + "/decommission")
        .then()
        .statusCode(200);

    assertCode(Status.Code.UNAUTHENTICATED, stream.awaitEnd());
    SyncStream again = agent.sync(device.getDeviceCredential());
    again.hello();
    assertCode(Status.Code.UNAUTHENTICATED, again.awaitEnd());
  }

  @Test
  void streamOpenedBeforeDecommissionIsClosedAtItsHello() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream stream = agent.sync(device.getDeviceCredential());
    Thread.sleep(300); // the call is authenticated, but no Hello registered it yet

    admin()
        .post("/api/v1/devices/" + device.getDeviceId() + "/decommission")
        .then()
        .statusCode(200);
    stream.hello();

    assertCode(Status.Code.UNAUTHENTICATED, stream.awaitEnd());
  }

  static DesiredState verifiedDesiredState(ServerMessage message, byte[] directorKey)
      throws Exception {
    assertTrue(message.hasDesiredState(), message.toString());
    Signatures.verify(message.getDesiredState(), directorKey, Dsse.DESIRED_STATE_TYPE);
    return DesiredState.parseFrom(message.getDesiredState().getPayload());
  }

  static void assertCode(Status.Code expected, Throwable ended) {
    StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, ended);
    assertEquals(expected, e.getStatus().getCode(), e.getStatus().toString());
  }

  /** Keeps the REST call of an assignment in one place for the gRPC tests. */
  static final class AssignmentTestSupport {
    static void assign(Fixtures.Published p, String deviceId) {
      Api.adminJson()
          .body(Map.of("deviceId", deviceId))
          .post("/api/v1/models/" + p.model() + "/versions/" + p.version() + "/assignments")
          .then()
          .statusCode(200)
          .body("assigned[0].deviceId", org.hamcrest.Matchers.equalTo(deviceId));
    }
  }
}
