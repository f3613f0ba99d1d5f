package dev.modelfleet.server.trial;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static dev.modelfleet.server.support.Profiles.GIB;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import dev.modelfleet.protocol.agent.v1.TrialResult;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import dev.modelfleet.server.support.Signatures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Trials end to end, with a grpc-java client acting as the device over a real socket. */
@QuarkusTest
class TrialTest {

  AgentClient agent;
  String model;
  String fp32;
  String int8;
  String fp16Cuda;
  byte[] int8Bytes = SampleModels.classifier(202);

  @BeforeEach
  void publish() {
    agent = new AgentClient();
    model = Fixtures.modelWithVersion("1");
    fp32 =
        upload(
            Map.of("precision", "fp32", "executionProvider", "cpu"), SampleModels.classifier(201));
    int8 =
        upload(
            Map.of(
                "precision",
                "int8",
                "executionProvider",
                "cpu",
                "arch",
                "x86_64",
                "requiredCpuFlags",
                "avx512_vnni",
                "accuracy",
                "0.99"),
            int8Bytes);
    fp16Cuda =
        upload(
            Map.of("precision", "fp16", "executionProvider", "cuda"), SampleModels.classifier(203));
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void trialRoundTripRanksTheClassByMeasuredLatency() throws Exception {
    HardwareProfile profile =
        Profiles.profile(
                Api.unique("xeon"),
                "x86_64",
                List.of("avx2", "avx512_vnni"),
                List.of("cpu"),
                16 * GIB)
            .setBenchmark(Profiles.benchmark("cpu/fp32=50", "cpu/int8=200"))
            .build();
    EnrollResponse device =
        agent.enroll(
            Fixtures.enrollmentToken(Map.of(), 1), AgentClient.newDevicePublicKey(), profile);
    byte[] targetsKey =
        Signatures.targetsKey(
            Signatures.verifiedRoot(device.getRootMetadata(), Signatures.pinnedRootKey()));
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello(profile);
    stream.next();
    match(device.getDeviceId())
        .then()
        .body("chosen.variantId", equalTo(int8))
        .body("chosen.source", equalTo("benchmark"));
    assertNotFetchable(device, Dsse.sha256Hex(int8Bytes));

    String trialId =
        adminJson()
            .body(Map.of("deviceId", device.getDeviceId(), "runs", 5))
            .post("/api/v1/models/" + model + "/versions/1/trials")
            .then()
            .statusCode(201)
            .contentType("application/json")
            .body("status", equalTo("running"))
            .body("devices[0].state", equalTo("sent"))
            .body("devices[0].results", hasSize(2))
            .body("devices[0].results.state", equalTo(List.of("pending", "pending")))
            .extract()
            .path("id");

    ServerMessage message = stream.next();
    assertTrue(message.hasTrial(), message.toString());
    TrialRequest request = message.getTrial();
    assertEquals(trialId, request.getTrialId());
    assertEquals(5, request.getRuns());
    List<String> offered = new ArrayList<>();
    for (var envelope : request.getManifestsList()) {
      Signatures.verify(envelope, targetsKey, Dsse.VARIANT_MANIFEST_TYPE);
      offered.add(VariantManifest.parseFrom(envelope.getPayload()).getVariantId());
    }
    assertEquals(List.of(int8, fp32), offered, "the runnable variants, best estimate first");
    byte[] fetched =
        AgentClient.concat(
            agent.fetch(device.getDeviceCredential(), Dsse.sha256Hex(int8Bytes), 0),
            new ArrayList<>());
    assertArrayEquals(
        int8Bytes, fetched, "a trial's artifacts are fetchable by the device it was sent to");
    byte[] overHttp =
        given()
            .header("Authorization", "Bearer " + device.getDeviceCredential())
            .get("/agent/v1/artifacts/" + Dsse.sha256Hex(int8Bytes))
            .then()
            .statusCode(200)
            .extract()
            .asByteArray();
    assertArrayEquals(int8Bytes, overHttp, "over HTTP too: one access rule");

    stream.send(
        AgentMessage.newBuilder()
            .setTrial(
                TrialReport.newBuilder()
                    .setTrialId(trialId)
                    .addResults(result(fp32, 1.5, "CPUExecutionProvider"))
                    .addResults(result(int8, 4.0, "cpu")))
            .build());
    String path = "/api/v1/trials/" + trialId;
    Eventually.until(
        "the trial completes", () -> "complete".equals(admin().get(path).path("status")));
    admin()
        .get(path)
        .then()
        .body("devices[0].state", equalTo("reported"))
        .body("devices[0].results.find { it.variantId == '" + fp32 + "' }.p50Ms", equalTo(1.5f))
        .body(
            "devices[0].results.find { it.variantId == '" + fp32 + "' }.executionProviderUsed",
            equalTo("CPUExecutionProvider"))
        .body(
            "devices[0].results.find { it.variantId == '" + int8 + "' }.state",
            equalTo("measured"));
    admin()
        .get("/api/v1/models/" + model + "/versions/1/trials")
        .then()
        .statusCode(200)
        .body("id", equalTo(List.of(trialId)));

    match(device.getDeviceId())
        .then()
        .body("chosen.variantId", equalTo(fp32))
        .body("chosen.source", equalTo("trial"))
        .body("chosen.estimatedMs", equalTo(1.5f));
    String classId =
        admin()
            .get("/api/v1/devices/" + device.getDeviceId())
            .then()
            .body("providerMismatches", hasSize(0))
            .extract()
            .path("hardwareClassId");
    admin()
        .get("/api/v1/hardware-classes/" + classId)
        .then()
        .body("trials.find { it.variantId == '" + int8 + "' }.medianP50Ms", equalTo(4.0f))
        .body("providerMismatches", equalTo(0));
    assertNotFetchable(device, Dsse.sha256Hex(int8Bytes));
    stream.cancel();
  }

  @Test
  void providerFallbackIsVisibleOnDeviceClassAndDeployment() throws Exception {
    HardwareProfile profile =
        Profiles.profile(
                Api.unique("epyc"), "x86_64", List.of("avx2"), List.of("cpu", "cuda"), 64 * GIB)
            .setBenchmark(Profiles.benchmark("cpu/fp32=50", "cuda/fp16=5000"))
            .build();
    EnrollResponse device =
        agent.enroll(
            Fixtures.enrollmentToken(Map.of(), 1), AgentClient.newDevicePublicKey(), profile);
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello(profile);
    stream.next();
    String trialId =
        adminJson()
            .body(Map.of("deviceId", device.getDeviceId()))
            .post("/api/v1/models/" + model + "/versions/1/trials")
            .then()
            .statusCode(201)
            .body("runs", equalTo(TrialService.DEFAULT_RUNS))
            .extract()
            .path("id");
    stream.next();
    stream.send(
        AgentMessage.newBuilder()
            .setTrial(
                TrialReport.newBuilder()
                    .setTrialId(trialId)
                    .addResults(result(fp16Cuda, 30.0, "cpu"))
                    .addResults(
                        TrialResult.newBuilder()
                            .setVariantId(fp32)
                            .setError("out of memory")
                            .setReasonCode("load-failed")))
            .build());
    Eventually.until(
        "the trial completes",
        () -> "complete".equals(admin().get("/api/v1/trials/" + trialId).path("status")));

    adminJson()
        .body(Map.of("deviceId", device.getDeviceId()))
        .post("/api/v1/models/" + model + "/versions/1/assignments")
        .then()
        .statusCode(200)
        .body("assigned[0].variantId", equalTo(fp16Cuda));
    stream.next();
    stream.send(
        AgentMessage.newBuilder()
            .setProgress(
                DeploymentProgress.newBuilder()
                    .setModel(model)
                    .setVersion("1")
                    .setVariantId(fp16Cuda)
                    .setGeneration(1)
                    .setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
                    .setExecutionProviderUsed("CPUExecutionProvider"))
            .build());

    String path = "/api/v1/devices/" + device.getDeviceId();
    Eventually.until(
        "the deployment is active",
        () -> "active".equals(admin().get(path).path("deployments[0].state")));
    String classId =
        admin()
            .get(path)
            .then()
            .body("deployments[0].executionProviderUsed", equalTo("CPUExecutionProvider"))
            .body("providerMismatches", hasSize(2))
            .body("providerMismatches.source", equalTo(List.of("trial", "deployment")))
            .body("providerMismatches[1].expectedProvider", equalTo("cuda"))
            .body("providerMismatches[1].usedProvider", equalTo("cpu"))
            .extract()
            .path("hardwareClassId");
    admin()
        .get("/api/v1/hardware-classes/" + classId)
        .then()
        .body("providerMismatches", equalTo(2))
        .body("devicesWithProviderMismatch", equalTo(1))
        .body("trials.find { it.variantId == '" + fp32 + "' }.failed", equalTo(1))
        .body("trials.find { it.variantId == '" + fp32 + "' }.lastError", equalTo("out of memory"));
    match(device.getDeviceId())
        .then()
        .body("candidates.find { it.variantId == '" + fp32 + "' }.kept", equalTo(false))
        .body(
            "candidates.find { it.variantId == '" + fp32 + "' }.reason",
            containsString("out of memory"));
    stream.cancel();
  }

  @Test
  void devicesThatCannotTakeATrialAreListedWithTheReason() throws Exception {
    String site = Api.unique("site");
    String token = Fixtures.enrollmentToken(Map.of("site", site), 2);
    String offline =
        agent
            .enroll(token, AgentClient.newDevicePublicKey(), AgentClient.cpuHardware())
            .getDeviceId();
    String npuOnly =
        agent
            .enroll(
                token,
                AgentClient.newDevicePublicKey(),
                Profiles.profile(Api.unique("npu"), "aarch64", List.of(), List.of("qnn"), GIB)
                    .build())
            .getDeviceId();
    adminJson()
        .body(Map.of("selector", "site=" + site))
        .post("/api/v1/models/" + model + "/versions/1/trials")
        .then()
        .statusCode(201)
        .body("status", equalTo("complete"))
        .body("devices.find { it.deviceId == '" + offline + "' }.state", equalTo("offline"))
        .body("devices.find { it.deviceId == '" + npuOnly + "' }.state", equalTo("skipped"))
        .body("devices.find { it.deviceId == '" + npuOnly + "' }.reason", containsString("[qnn]"))
        .body("devices.find { it.deviceId == '" + npuOnly + "' }.results", hasSize(0));
  }

  @Test
  void badRequestsChangeNothing() throws Exception {
    String device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId();
    var before = Db.snapshot();
    String trials = "/api/v1/models/" + model + "/versions/1/trials";
    for (int runs : new int[] {0, -1, 1001}) {
      adminJson()
          .body(Map.of("deviceId", device, "runs", runs))
          .post(trials)
          .then()
          .statusCode(400)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("invalid-request"));
    }
    adminJson()
        .body(Map.of("deviceId", device, "selector", "a=b"))
        .post(trials)
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    adminJson()
        .body(Map.of())
        .post(trials)
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    adminJson()
        .body(Map.of("selector", "a in ("))
        .post(trials)
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-label-selector"));
    adminJson()
        .body(Map.of("deviceId", UUID.randomUUID().toString()))
        .post(trials)
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    adminJson()
        .body(Map.of("deviceId", device))
        .post("/api/v1/models/" + model + "/versions/9/trials")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    adminJson()
        .body("{\"runs\": \"many\"}")
        .post(trials)
        .then()
        .statusCode(400)
        .body("code", equalTo("malformed-json"));
    admin()
        .get("/api/v1/trials/" + UUID.randomUUID())
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    admin().get("/api/v1/trials/garbage").then().statusCode(404).body("code", equalTo("not-found"));
    admin().get("/api/v1/models/no-such/versions/1/trials").then().statusCode(404);
    assertEquals(before, Db.snapshot());
  }

  // --- helpers ---------------------------------------------------------------------------

  private String upload(Map<String, String> params, byte[] bytes) {
    return Fixtures.uploadWith(model, "1", params, bytes)
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }

  private io.restassured.response.Response match(String deviceId) {
    return admin()
        .queryParam("model", model)
        .queryParam("version", "1")
        .get("/api/v1/devices/" + deviceId + "/match");
  }

  private void assertNotFetchable(EnrollResponse device, String sha256) {
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class,
            () -> agent.fetch(device.getDeviceCredential(), sha256, 0).hasNext());
    assertEquals(Status.Code.NOT_FOUND, refused.getStatus().getCode());
  }

  private static TrialResult result(String variantId, double p50, String provider) {
    return TrialResult.newBuilder()
        .setVariantId(variantId)
        .setLoadMs(12)
        .setRuns(5)
        .setP50Ms(p50)
        .setP95Ms(p50 * 1.2)
        .setPeakMemoryBytes(1_000_000)
        .setExecutionProviderUsed(provider)
        .build();
  }
}
