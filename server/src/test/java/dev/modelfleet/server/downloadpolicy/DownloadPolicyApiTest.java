package dev.modelfleet.server.downloadpolicy;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.DownloadWindow;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Download policies through the admin API: stored, validated, and carried to the devices they bind
 * inside their signed desired state; and the disk-fit refusal in the match explanation.
 */
@QuarkusTest
class DownloadPolicyApiTest {

  private final AgentClient agent = new AgentClient();

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void aPolicyForItsLabelsReachesTheDeviceInItsSignedDesiredStateAndLeavesWithItsDeletion()
      throws Exception {
    String site = Api.unique("site");
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of("site", site), 1));
    var published = Fixtures.publishedClassifier(181);
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    adminJson()
        .body(Map.of("deviceId", device.getDeviceId()))
        .post("/api/v1/models/" + published.model() + "/versions/1.0.0/assignments")
        .then()
        .statusCode(200);
    assertFalse(nextDesired(stream).hasDownloadPolicy());

    String id =
        adminJson()
            .body(
                policy(
                    Map.of(
                        "selector",
                        "site=" + site,
                        "windows",
                        List.of("01:00-05:00", "22:30-23:00"),
                        "timeZone",
                        "Europe/Berlin",
                        "rateBytesPerSecond",
                        125_000,
                        "dailyBudgetBytes",
                        50_000_000,
                        "meteredOnly",
                        true)))
            .post("/api/v1/download-policies")
            .then()
            .statusCode(201)
            .body("windows[1]", equalTo("22:30-23:00"))
            .body("deviceId", nullValue())
            .extract()
            .path("id");

    DesiredState withPolicy = nextDesired(stream);
    assertEquals(
        List.of(window(60, 300), window(22 * 60 + 30, 23 * 60)),
        withPolicy.getDownloadPolicy().getWindowsList());
    assertEquals("Europe/Berlin", withPolicy.getDownloadPolicy().getTimeZone());
    assertEquals(125_000, withPolicy.getDownloadPolicy().getRateBytesPerSecond());
    assertEquals(50_000_000, withPolicy.getDownloadPolicy().getDailyBudgetBytes());
    assertEquals(true, withPolicy.getDownloadPolicy().getMeteredOnly());
    assertEquals(1, withPolicy.getModelsCount(), "the models stay as they were");

    admin().delete("/api/v1/download-policies/" + id).then().statusCode(200);
    DesiredState without = nextDesired(stream);
    assertFalse(without.hasDownloadPolicy());
    assertEquals(withPolicy.getGeneration() + 1, without.getGeneration());
    stream.cancel();
  }

  @Test
  void aDevicesOwnPolicyWinsOverASelectorOne() throws Exception {
    String site = Api.unique("site");
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of("site", site), 1));
    adminJson()
        .body(policy(Map.of("selector", "site=" + site, "rateBytesPerSecond", 1_000)))
        .post("/api/v1/download-policies")
        .then()
        .statusCode(201);
    adminJson()
        .body(policy(Map.of("deviceId", device.getDeviceId(), "rateBytesPerSecond", 2_000)))
        .post("/api/v1/download-policies")
        .then()
        .statusCode(201);
    var published = Fixtures.publishedClassifier(182);
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    adminJson()
        .body(Map.of("deviceId", device.getDeviceId()))
        .post("/api/v1/models/" + published.model() + "/versions/1.0.0/assignments")
        .then()
        .statusCode(200);

    assertEquals(2_000, nextDesired(stream).getDownloadPolicy().getRateBytesPerSecond());
    stream.cancel();
  }

  @Test
  void badPoliciesAreRefusedWithAProblemAndStoreNothing() throws Exception {
    String device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId();
    var before = Db.snapshot();
    refused(Map.of("selector", "site=a", "windows", List.of("1am-5am")), "HH:MM-HH:MM");
    refused(Map.of("selector", "site=a", "windows", List.of("25:00-05:00")), "HH:MM-HH:MM");
    refused(Map.of("selector", "site=a", "windows", List.of("03:00-03:00")), "empty");
    refused(Map.of("selector", "site=a", "rateBytesPerSecond", -1), "rateBytesPerSecond");
    refused(
        Map.of("selector", "site=a", "rateBytesPerSecond", 10, "timeZone", "Mars/Olympus"),
        "timeZone");
    refused(Map.of("rateBytesPerSecond", 10), "exactly one");
    refused(
        Map.of("selector", "site=a", "deviceId", device, "rateBytesPerSecond", 10), "exactly one");
    refused(Map.of("selector", "site=a"), "at least one");
    adminJson()
        .body(policy(Map.of("selector", "a in (", "rateBytesPerSecond", 10)))
        .post("/api/v1/download-policies")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-label-selector"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void aVariantThatWouldNotFitOnTheDisksIsRefusedWithTheReason() throws Exception {
    byte[] model = SampleModels.classifier(183);
    String name = Fixtures.modelWithVersion("1");
    Fixtures.upload(name, "1", "fp32", "cpu", model);
    String token = Fixtures.enrollmentToken(Map.of(), 2);
    String roomy =
        agent
            .enroll(
                token,
                AgentClient.newDevicePublicKey(),
                AgentClient.cpuHardware().toBuilder().setDiskFreeBytes(100L * model.length).build())
            .getDeviceId();
    String full =
        agent
            .enroll(
                token,
                AgentClient.newDevicePublicKey(),
                AgentClient.cpuHardware().toBuilder().setDiskFreeBytes(model.length).build())
            .getDeviceId();

    admin()
        .get("/api/v1/devices/" + roomy + "/match?model=" + name + "&version=1")
        .then()
        .statusCode(200)
        .body("chosen.precision", equalTo("fp32"));
    admin()
        .get("/api/v1/devices/" + full + "/match?model=" + name + "&version=1")
        .then()
        .statusCode(200)
        .body("chosen", nullValue())
        .body("reason", containsString("does not fit on the device's disk"));
  }

  private static void refused(Map<String, Object> body, String detail) {
    adminJson()
        .body(policy(body))
        .post("/api/v1/download-policies")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-request"))
        .body("detail", containsString(detail));
  }

  private static Map<String, Object> policy(Map<String, Object> fields) {
    Map<String, Object> body = new HashMap<>(fields);
    body.put("name", Api.unique("policy"));
    return body;
  }

  private static DownloadWindow window(int start, int end) {
    return DownloadWindow.newBuilder().setStartMinute(start).setEndMinute(end).build();
  }

  private static DesiredState nextDesired(SyncStream stream) throws Exception {
    ServerMessage message = stream.next();
    while (!message.hasDesiredState()) {
      message = stream.next();
    }
    return DesiredState.parseFrom(message.getDesiredState().getPayload());
  }
}
