package dev.modelfleet.server.hardware;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Profiles.GIB;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HardwareClassTest {

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
  void devicesWithTheSameFingerprintShareAClassWhateverTheirFreeMemory() throws Exception {
    String cpu = Api.unique("xeon");
    String token = Fixtures.enrollmentToken(Map.of(), 3);
    String a =
        enroll(
            token,
            Profiles.profile(
                    cpu, "x86_64", List.of("avx2", "avx512_vnni", "vmx"), List.of("cpu"), 8 * GIB)
                .setMemoryAvailableBytes(GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=100", "cpu/int8=300")));
    String b =
        enroll(
            token,
            Profiles.profile(cpu, "amd64", List.of("avx512_vnni", "avx2"), List.of("cpu"), 8 * GIB)
                .setMemoryAvailableBytes(5 * GIB)
                .setDiskFreeBytes(GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=200")));
    String c =
        enroll(
            token,
            Profiles.profile(cpu, "x86_64", List.of("avx2", "avx512_vnni"), List.of("cpu"), 8 * GIB)
                .setBenchmark(Profiles.benchmark("cpu/fp32=300", "cpu/int8=500")));
    String classId =
        admin()
            .get("/api/v1/devices/" + a)
            .then()
            .statusCode(200)
            .extract()
            .path("hardwareClassId");
    assertEquals(classId, admin().get("/api/v1/devices/" + b).path("hardwareClassId"));
    assertEquals(classId, admin().get("/api/v1/devices/" + c).path("hardwareClassId"));

    var view = admin().get("/api/v1/hardware-classes").then().statusCode(200).extract().jsonPath();
    String path = "find { it.id == '" + classId + "' }";
    assertEquals(3, view.getInt(path + ".devices"));
    assertEquals(3, view.getInt(path + ".benchmarkedDevices"));
    assertTrue(
        view.getString(path + ".description").contains(cpu), view.getString(path + ".description"));
    assertTrue(view.getString(path + ".description").contains("avx2 avx512_vnni"));
    assertEquals(false, view.getBoolean(path + ".simulated"));
    String fp32 =
        path + ".benchmark.find { it.executionProvider == 'cpu' && it.precision == 'fp32' }";
    assertEquals(200.0, view.getDouble(fp32 + ".medianGmacs"), 1e-9);
    assertEquals(3, view.getInt(fp32 + ".devices"));
    String int8 = path + ".benchmark.find { it.precision == 'int8' }";
    assertEquals(400.0, view.getDouble(int8 + ".medianGmacs"), 1e-9);
    assertEquals(2, view.getInt(int8 + ".devices"));

    String other =
        enroll(
            Fixtures.enrollmentToken(Map.of(), 1),
            Profiles.profile(cpu, "x86_64", List.of("avx2"), List.of("cpu"), 8 * GIB));
    assertNotEquals(
        classId,
        admin().get("/api/v1/devices/" + other).path("hardwareClassId"),
        "one inference flag fewer is another class");
  }

  @Test
  void helloWithBenchmarkIsStoredAndShownInItsClass() throws Exception {
    String cpu = Api.unique("cortex");
    var device =
        agent.enroll(
            Fixtures.enrollmentToken(Map.of(), 1),
            AgentClient.newDevicePublicKey(),
            Profiles.profile(cpu, "aarch64", List.of("asimd"), List.of("cpu"), 4 * GIB).build());
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello(
        Profiles.profile(cpu, "aarch64", List.of("asimd", "asimddp"), List.of("cpu"), 4 * GIB)
            .setBenchmark(Profiles.benchmark("cpu/fp32=25", "cpu/int8=90"))
            .build());
    stream.next();

    String path = "/api/v1/devices/" + device.getDeviceId();
    Eventually.until("the benchmark is stored", () -> admin().get(path).path("benchmark") != null);
    String classId =
        admin()
            .get(path)
            .then()
            .body("benchmark.results", hasSize(2))
            .body("benchmark.results.find { it.precision == 'int8' }.gmacs", equalTo(90.0f))
            .body("hardware.cpuFlags", hasSize(2))
            .extract()
            .path("hardwareClassId");
    admin()
        .get("/api/v1/hardware-classes/" + classId)
        .then()
        .statusCode(200)
        .body("devices", equalTo(1))
        .body("profile.cpuFlags", equalTo(List.of("dotprod", "neon")))
        .body("benchmark.find { it.precision == 'int8' }.medianGmacs", equalTo(90.0f));
    admin()
        .get("/api/v1/hardware-classes")
        .then()
        .statusCode(200)
        .body("find { it.id == '" + classId + "' }.benchmarkedDevices", equalTo(1))
        .body(
            "find { it.id == '"
                + classId
                + "' }.benchmark.find { it.precision == 'fp32' }.medianGmacs",
            equalTo(25.0f));
    admin()
        .get("/api/v1/devices/" + device.getDeviceId())
        .then()
        .body("hardwareClassId", equalTo(classId));
    stream.cancel();
  }

  @Test
  void simulatedProfileFormsAVisiblySimulatedClass() throws Exception {
    String device =
        enroll(
            Fixtures.enrollmentToken(Map.of(), 1),
            Profiles.profile(
                    Api.unique("jetson"),
                    "aarch64",
                    List.of("asimd"),
                    List.of("cpu", "cuda"),
                    8 * GIB)
                .setSimulated(true));
    String classId = admin().get("/api/v1/devices/" + device).path("hardwareClassId");
    admin()
        .get("/api/v1/hardware-classes")
        .then()
        .statusCode(200)
        .body("find { it.id == '" + classId + "' }.simulated", equalTo(true))
        .body("find { it.id == '" + classId + "' }.description", endsWith("(simulated)"));
  }

  @Test
  void benchmarkOnDemandGoesToTheConnectedDevice() throws Exception {
    var device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    String path = "/api/v1/devices/" + device.getDeviceId();
    admin()
        .post(path + "/benchmark")
        .then()
        .statusCode(409)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("device-offline"));

    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next();
    admin().post(path + "/benchmark").then().statusCode(202).body("status", equalTo("requested"));
    ServerMessage asked = stream.next();
    assertTrue(asked.hasRunBenchmark(), asked.toString());

    stream.send(
        AgentMessage.newBuilder()
            .setBenchmark(Profiles.benchmark("cpu/fp32=42").toBuilder().setTrigger("on-demand"))
            .build());
    Eventually.until(
        "the on-demand benchmark is stored",
        () -> "on-demand".equals(admin().get(path).path("benchmark.trigger")));
    admin().get(path).then().body("benchmark.results[0].gmacs", equalTo(42.0f));
    stream.cancel();
  }

  @Test
  void unknownIdsAreNotFound() {
    admin()
        .get("/api/v1/hardware-classes/0123456789abcdef")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("not-found"));
    admin()
        .post("/api/v1/devices/" + UUID.randomUUID() + "/benchmark")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
  }

  private String enroll(String token, HardwareProfile.Builder profile) throws Exception {
    return agent.enroll(token, AgentClient.newDevicePublicKey(), profile.build()).getDeviceId();
  }
}
