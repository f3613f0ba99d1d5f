package dev.modelfleet.server.matching;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static dev.modelfleet.server.support.Profiles.GIB;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The matcher through the admin API: variants with needs, devices enrolled over gRPC. */
@QuarkusTest
class MatchingApiTest {

  AgentClient agent;
  String model;
  Map<String, String> variantIds = new LinkedHashMap<>();

  @BeforeEach
  void publishVersionWithFiveBuilds() {
    agent = new AgentClient();
    model = Fixtures.modelWithVersion("1");
    variant(
        "fp32-cpu",
        Map.of("precision", "fp32", "executionProvider", "cpu", "minMemoryBytes", 2 * GIB),
        1);
    variant(
        "int8-cpu-x86",
        Map.of(
            "precision",
            "int8",
            "executionProvider",
            "cpu",
            "arch",
            "amd64",
            "requiredCpuFlags",
            "avx512_vnni",
            "minMemoryBytes",
            GIB,
            "accuracy",
            "0.985"),
        2);
    variant(
        "int8-cpu-arm",
        Map.of(
            "precision",
            "int8",
            "executionProvider",
            "cpu",
            "arch",
            "aarch64",
            "requiredCpuFlags",
            "dotprod",
            "minMemoryBytes",
            GIB,
            "accuracy",
            "0.985"),
        3);
    variant(
        "fp16-cuda",
        Map.of(
            "precision",
            "fp16",
            "executionProvider",
            "cuda",
            "arch",
            "x86_64",
            "minMemoryBytes",
            4 * GIB,
            "accuracy",
            "0.999"),
        4);
    variant(
        "int8-npu",
        Map.of(
            "precision",
            "int8",
            "executionProvider",
            "openvino",
            "minMemoryBytes",
            GIB,
            "accuracy",
            "0.97"),
        5);
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void everyDeviceGetsTheVariantThatRunsBestOnItAndIsToldWhy() {
    String site = Api.unique("site");
    String token = Fixtures.enrollmentToken(Map.of("site", site), 10);
    String vnni =
        enroll(
            token,
            Profiles.profile(
                    Api.unique("xeon"),
                    "x86_64",
                    List.of("avx2", "avx512f", "avx512_vnni"),
                    List.of("cpu"),
                    16 * GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=60", "cpu/int8=240")));
    String plain =
        enroll(
            token,
            Profiles.profile(
                    Api.unique("core"), "x86_64", List.of("avx2", "fma"), List.of("cpu"), 8 * GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=60", "cpu/int8=70")));
    String arm =
        enroll(
            token,
            Profiles.profile(
                    Api.unique("cortex"),
                    "aarch64",
                    List.of("asimd", "asimddp"),
                    List.of("cpu"),
                    4 * GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=20", "cpu/int8=80")));
    String cuda =
        enroll(
            token,
            Profiles.profile(
                    Api.unique("epyc"), "x86_64", List.of("avx2"), List.of("cpu", "cuda"), 64 * GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=60", "cuda/fp16=9000")));
    String npu =
        enroll(
            token,
            Profiles.profile(
                    Api.unique("core-ultra"),
                    "x86_64",
                    List.of("avx2"),
                    List.of("cpu", "openvino"),
                    16 * GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=40", "openvino/int8=900")));
    String tiny =
        enroll(
            token,
            Profiles.profile(Api.unique("atom"), "x86_64", List.of("avx2"), List.of("cpu"), GIB / 2)
                .setBenchmark(Profiles.benchmark("cpu/fp32=10")));

    match(vnni, null)
        .then()
        .statusCode(200)
        .body("chosen.variantId", equalTo(variantIds.get("int8-cpu-x86")))
        .body("chosen.source", equalTo("benchmark"))
        .body("reason", startsWith("chose int8/cpu (x86_64+avx512_vnni): lowest expected latency"))
        .body("candidates", hasSize(5))
        .body(
            "candidates.find { it.variantId == '" + variantIds.get("fp32-cpu") + "' }.rank",
            equalTo(2));
    match(plain, null)
        .then()
        .statusCode(200)
        .body("chosen.variantId", equalTo(variantIds.get("fp32-cpu")))
        .body(
            "candidates.find { it.variantId == '" + variantIds.get("int8-cpu-x86") + "' }.reason",
            equalTo("needs CPU flag avx512_vnni, which the device lacks"));
    match(arm, null)
        .then()
        .statusCode(200)
        .body("chosen.variantId", equalTo(variantIds.get("int8-cpu-arm")));
    match(cuda, null)
        .then()
        .statusCode(200)
        .body("chosen.variantId", equalTo(variantIds.get("fp16-cuda")));
    match(npu, null)
        .then()
        .statusCode(200)
        .body("chosen.variantId", equalTo(variantIds.get("int8-npu")))
        .body(
            "candidates.find { it.variantId == '" + variantIds.get("fp16-cuda") + "' }.reason",
            equalTo("execution provider cuda is not among the device's providers [cpu, openvino]"));
    match(tiny, null)
        .then()
        .statusCode(200)
        .body("chosen", nullValue())
        .body("reason", containsString("needs 2.00 GiB of memory, the device has 0.50 GiB"));

    adminJson()
        .body(Map.of("selector", "site=" + site))
        .post("/api/v1/models/" + model + "/versions/1/assignments")
        .then()
        .statusCode(200)
        .body(
            "assigned.variantId",
            hasItems(
                variantIds.get("int8-cpu-x86"),
                variantIds.get("fp32-cpu"),
                variantIds.get("int8-cpu-arm"),
                variantIds.get("fp16-cuda"),
                variantIds.get("int8-npu")))
        .body(
            "assigned.find { it.deviceId == '" + vnni + "' }.reason", startsWith("chose int8/cpu"))
        .body("skipped", hasSize(1))
        .body("skipped[0].deviceId", equalTo(tiny))
        .body("skipped[0].reason", containsString("no variant fits this device"));
  }

  @Test
  void accuracyFloorDropsLessAccurateVariants() {
    String vnni =
        enroll(
            Fixtures.enrollmentToken(Map.of(), 1),
            Profiles.profile(
                    Api.unique("xeon"), "x86_64", List.of("avx512_vnni"), List.of("cpu"), 16 * GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=60", "cpu/int8=240")));
    match(vnni, "0.99")
        .then()
        .statusCode(200)
        .body("accuracyFloor", equalTo(0.99f))
        .body("chosen.variantId", equalTo(variantIds.get("fp32-cpu")))
        .body(
            "candidates.find { it.variantId == '" + variantIds.get("int8-cpu-x86") + "' }.reason",
            equalTo("accuracy 0.985 is below the floor 0.99"));
    adminJson()
        .body(Map.of("deviceId", vnni, "accuracyFloor", 0.99))
        .post("/api/v1/models/" + model + "/versions/1/assignments")
        .then()
        .statusCode(200)
        .body("assigned[0].variantId", equalTo(variantIds.get("fp32-cpu")));
  }

  @Test
  void deviceWithoutBenchmarkKeepsVariantsRankedLast() {
    String device =
        enroll(
            Fixtures.enrollmentToken(Map.of(), 1),
            Profiles.profile(
                Api.unique("xeon"), "x86_64", List.of("avx512_vnni"), List.of("cpu"), 16 * GIB));
    match(device, null)
        .then()
        .statusCode(200)
        .body("chosen.variantId", equalTo(variantIds.get("int8-cpu-x86")))
        .body("chosen.source", equalTo("none"))
        .body("chosen.reason", startsWith("no benchmark figure for cpu/int8 on this device"));
  }

  @Test
  void variantsShowAndSignTheirNeeds() throws Exception {
    var version =
        admin()
            .get("/api/v1/models/" + model + "/versions/1")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    String path = "variants.find { it.id == '" + variantIds.get("int8-cpu-x86") + "' }";
    assertEquals("x86_64", version.getString(path + ".arch"));
    assertEquals(List.of("avx512_vnni"), version.getList(path + ".requiredCpuFlags"));
    assertEquals(GIB, version.getLong(path + ".minMemoryBytes"));
    assertEquals(0.985, version.getDouble(path + ".accuracy"), 1e-9);
    assertEquals(4 * 16 + 16 * 3, version.getLong(path + ".estimatedMacs"));

    String envelope =
        admin()
            .get(
                "/api/v1/models/"
                    + model
                    + "/versions/1/variants/"
                    + variantIds.get("int8-cpu-x86")
                    + "/manifest")
            .then()
            .statusCode(200)
            .extract()
            .path("envelopeBase64");
    VariantManifest manifest =
        VariantManifest.parseFrom(
            SignedEnvelope.parseFrom(Base64.getDecoder().decode(envelope)).getPayload());
    assertEquals("x86_64", manifest.getArch());
    assertEquals(List.of("avx512_vnni"), manifest.getRequiredCpuFlagsList());
    assertEquals(GIB, manifest.getMinMemoryBytes());

    Fixtures.uploadWith(
            model,
            "1",
            Map.of(
                "precision",
                "int8",
                "executionProvider",
                "cpu",
                "arch",
                "x86_64",
                "requiredCpuFlags",
                "avx512_vnni"),
            SampleModels.classifier(99))
        .then()
        .statusCode(409)
        .body("code", equalTo("duplicate-variant"));
  }

  @Test
  void badRequestsAreRefusedAndChangeNothing() {
    String device =
        enroll(Fixtures.enrollmentToken(Map.of(), 1), AgentClient.cpuHardware().toBuilder());
    var before = Db.snapshot();
    problem(
        admin()
            .queryParam("model", model)
            .queryParam("version", "1")
            .get("/api/v1/devices/" + UUID.randomUUID() + "/match"),
        404,
        "not-found");
    problem(
        admin()
            .queryParam("model", model)
            .queryParam("version", "1")
            .get("/api/v1/devices/not-a-uuid/match"),
        404,
        "not-found");
    problem(
        admin()
            .queryParam("model", "no-such-model")
            .queryParam("version", "1")
            .get("/api/v1/devices/" + device + "/match"),
        404,
        "not-found");
    problem(
        admin()
            .queryParam("model", model)
            .queryParam("version", "9")
            .get("/api/v1/devices/" + device + "/match"),
        404,
        "not-found");
    problem(
        admin().queryParam("version", "1").get("/api/v1/devices/" + device + "/match"),
        400,
        "invalid-request");
    for (String floor : List.of("abc", "0", "-0.5", "98.5", "NaN")) {
      problem(match(device, floor), 400, "invalid-request");
    }
    problem(
        adminJson()
            .body(Map.of("deviceId", device, "accuracyFloor", 98.5))
            .post("/api/v1/models/" + model + "/versions/1/assignments"),
        400,
        "invalid-request");

    byte[] bytes = SampleModels.classifier(77);
    for (Map<String, String> params :
        List.of(
            Map.of("arch", "sparc"),
            Map.of("requiredCpuFlags", "avx2,,fma"),
            Map.of("requiredCpuFlags", "avx-512"),
            Map.of("minMemoryBytes", "-1"),
            Map.of("minMemoryBytes", "1GB"),
            Map.of("accuracy", "0"),
            Map.of("accuracy", "98.5"),
            Map.of("accuracy", "high"))) {
      Map<String, String> all =
          new LinkedHashMap<>(Map.of("precision", "fp32", "executionProvider", "dnnl"));
      all.putAll(params);
      problem(Fixtures.uploadWith(model, "1", all, bytes), 400, "invalid-request")
          .body("detail", containsString("'" + params.keySet().iterator().next() + "'"));
    }
    assertEquals(before, Db.snapshot());
  }

  // --- helpers ---------------------------------------------------------------------------

  private void variant(String key, Map<String, ?> params, long seed) {
    variantIds.put(
        key,
        Fixtures.uploadWith(model, "1", params, SampleModels.classifier(seed))
            .then()
            .statusCode(201)
            .extract()
            .path("id"));
  }

  private String enroll(String token, HardwareProfile.Builder profile) {
    try {
      return agent.enroll(token, AgentClient.newDevicePublicKey(), profile.build()).getDeviceId();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private io.restassured.response.Response match(String deviceId, String accuracyFloor) {
    var request = admin().queryParam("model", model).queryParam("version", "1");
    if (accuracyFloor != null) {
      request.queryParam("accuracyFloor", accuracyFloor);
    }
    return request.get("/api/v1/devices/" + deviceId + "/match");
  }

  private static io.restassured.response.ValidatableResponse problem(
      io.restassured.response.Response response, int status, String code) {
    return response.then().statusCode(status).contentType(PROBLEM_JSON).body("code", equalTo(code));
  }
}
