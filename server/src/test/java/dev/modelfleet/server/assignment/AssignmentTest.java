package dev.modelfleet.server.assignment;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AssignmentTest {

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
  void assignsBySelectorAndRecordsDesiredState() throws Exception {
    String site = Api.unique("site");
    String device = agent.enroll(Fixtures.enrollmentToken(Map.of("site", site), 1)).getDeviceId();
    var published = Fixtures.publishedClassifier(11);

    assign(published, Map.of("selector", "site=" + site))
        .then()
        .statusCode(200)
        .body("assigned.deviceId", contains(device))
        .body("assigned[0].variantId", equalTo(published.variantId()))
        .body("assigned[0].generation", equalTo(1))
        .body("skipped", empty());

    admin()
        .get("/api/v1/devices/" + device)
        .then()
        .statusCode(200)
        .body("desired.generation", equalTo(1))
        .body("desired.models[0].model", equalTo(published.model()))
        .body("desired.models[0].sha256", equalTo(published.sha256()))
        .body("deployments[0].state", equalTo("pending"))
        .body("deployments[0].variantId", equalTo(published.variantId()));

    assign(published, Map.of("deviceId", device))
        .then()
        .statusCode(200)
        .body("assigned[0].generation", equalTo(2));
  }

  @Test
  void prefersCpuFp32AndSkipsDevicesWithoutAFittingProvider() throws Exception {
    String site = Api.unique("site");
    String cpu = agent.enroll(Fixtures.enrollmentToken(Map.of("site", site), 1)).getDeviceId();
    String npuOnly = enrollWithProviders(Fixtures.enrollmentToken(Map.of("site", site), 1), "npu");
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp16", "cpu", SampleModels.classifier(21));
    String fp32 =
        Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(22)).getString("id");
    Fixtures.upload(model, "1", "fp16", "cuda", SampleModels.classifier(23));

    adminJson()
        .body(Map.of("selector", "site=" + site))
        .post("/api/v1/models/" + model + "/versions/1/assignments")
        .then()
        .statusCode(200)
        .body("assigned.deviceId", contains(cpu))
        .body("assigned[0].variantId", equalTo(fp32))
        .body("skipped.deviceId", contains(npuOnly))
        .body("skipped[0].reason", containsString("[npu]"));
  }

  @Test
  void badRequestsChangeNothing() throws Exception {
    var published = Fixtures.publishedClassifier(31);
    String device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId();
    var before = Db.snapshot();
    assign(published, Map.of("selector", "a in ("))
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-label-selector"));
    assign(published, Map.of()).then().statusCode(400).body("code", equalTo("invalid-request"));
    assign(published, Map.of("selector", "a", "deviceId", device))
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    assign(published, Map.of("deviceId", UUID.randomUUID().toString()))
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    adminJson()
        .body(Map.of("deviceId", device))
        .post("/api/v1/models/" + published.model() + "/versions/9/assignments")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    adminJson()
        .body("{\"deviceId\": ")
        .post("/api/v1/models/" + published.model() + "/versions/1.0.0/assignments")
        .then()
        .statusCode(400)
        .body("code", equalTo("malformed-json"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void decommissionedDeviceIsSkipped() throws Exception {
    var published = Fixtures.publishedClassifier(41);
    String device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId();
    admin().post("/api/v1/devices/" + device + "/decommission").then().statusCode(200);
    assign(published, Map.of("deviceId", device))
        .then()
        .statusCode(200)
        .body("assigned", empty())
        .body("skipped[0].reason", containsString("decommissioned"));
  }

  private String enrollWithProviders(String token, String provider) throws Exception {
    return agent
        .enroll(
            token,
            AgentClient.newDevicePublicKey(),
            HardwareProfile.newBuilder().addExecutionProviders(provider).build())
        .getDeviceId();
  }

  /**
   * An agent already serving the variant accepts the new generation and reports nothing (nothing
   * changed for it): the server must not wait on a report that never comes.
   */
  @Test
  void reassigningTheVariantADeviceServesKeepsItActive() throws Exception {
    var published = Fixtures.publishedClassifier(12);
    try (FakeDevice device =
        new FakeDevice(
            agent,
            Fixtures.enrollmentToken(Map.of("site", Api.unique("site")), 1),
            AgentClient.cpuHardware(),
            version -> FakeDevice.Reaction.ACTIVATE)) {
      assign(published, Map.of("deviceId", device.id)).then().statusCode(200);
      Eventually.until(
          "the device reports the variant active",
          () -> "active".equals(deploymentState(device.id)));

      assign(published, Map.of("deviceId", device.id))
          .then()
          .statusCode(200)
          .body("assigned[0].generation", equalTo(2));

      admin()
          .get("/api/v1/devices/" + device.id)
          .then()
          .statusCode(200)
          .body("desired.generation", equalTo(2))
          .body("deployments[0].state", equalTo("active"))
          .body("deployments[0].generation", equalTo(2))
          .body("deployments[0].variantId", equalTo(published.variantId()));
    }
  }

  private static String deploymentState(String deviceId) {
    return admin().get("/api/v1/devices/" + deviceId).path("deployments[0].state");
  }

  static io.restassured.response.Response assign(Fixtures.Published p, Map<String, String> body) {
    return adminJson()
        .body(body)
        .post("/api/v1/models/" + p.model() + "/versions/" + p.version() + "/assignments");
  }
}
