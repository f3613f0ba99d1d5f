package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** A model with versions 1 and 2 (cpu/fp32) and a site of fake devices for one test. */
final class RolloutFixture implements AutoCloseable {

  final String model;
  final String site = Api.unique("site");
  final List<FakeDevice> devices = new ArrayList<>();
  private final AgentClient agent = new AgentClient();

  RolloutFixture(long seed) {
    model = Fixtures.modelWithVersion("1");
    adminJson()
        .body(Map.of("version", "2"))
        .post("/api/v1/models/" + model + "/versions")
        .then()
        .statusCode(201);
    Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(seed));
    Fixtures.upload(model, "2", "fp32", "cpu", SampleModels.classifier(seed + 1));
  }

  /** {@code count} devices of one hardware class ({@code cpuModel}) answering per version. */
  List<FakeDevice> add(int count, String cpuModel, Function<String, Reaction> reactions)
      throws Exception {
    HardwareProfile hardware =
        Profiles.profile(cpuModel, "x86_64", List.of("avx2"), List.of("cpu"), 8 * Profiles.GIB)
            .build();
    String token = Fixtures.enrollmentToken(Map.of("site", site), count);
    List<FakeDevice> added = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      added.add(new FakeDevice(agent, token, hardware, reactions));
    }
    devices.addAll(added);
    return added;
  }

  /** Puts every device on version 1 and waits until all run it. */
  void allOnVersion1() {
    adminJson()
        .body(Map.of("selector", "site=" + site))
        .post("/api/v1/models/" + model + "/versions/1/assignments")
        .then()
        .statusCode(200);
    Eventually.within(
        Duration.ofSeconds(10),
        () ->
            devices.forEach(
                d -> {
                  if (!"1".equals(d.runs(model))) {
                    throw new AssertionError(d.id + " does not run version 1 yet");
                  }
                }));
  }

  /** Creates and starts a rollout of version 2 to the site; {@code extra} adds to the request. */
  JsonPath start(Map<String, Object> extra) {
    Map<String, Object> body =
        new java.util.HashMap<>(
            Map.of("model", model, "version", "2", "selector", "site=" + site, "start", true));
    body.putAll(extra);
    return adminJson()
        .body(body)
        .post("/api/v1/rollouts")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  /** Plan defaults for a rollout whose every device must go active within {@code seconds}. */
  static Map<String, Object> allActiveWithin(int seconds) {
    return Map.of(
        "defaults",
        Map.of(
            "successThreshold",
            100,
            "failureThreshold",
            0,
            "soakSeconds",
            0,
            "timeoutSeconds",
            seconds));
  }

  static JsonPath get(String rolloutId) {
    return admin().get("/api/v1/rollouts/" + rolloutId).then().statusCode(200).extract().jsonPath();
  }

  static JsonPath awaitState(String rolloutId, String state) {
    JsonPath[] last = new JsonPath[1];
    Eventually.within(
        Duration.ofSeconds(20),
        () -> {
          last[0] = get(rolloutId);
          if (!state.equals(last[0].getString("state"))) {
            throw new AssertionError(
                "rollout is "
                    + last[0].getString("state")
                    + " ("
                    + last[0].getString("stateReason")
                    + "), waiting for "
                    + state);
          }
        });
    return last[0];
  }

  static Map<String, Object> waves(Map<String, Object>... waves) {
    return Map.of("waves", List.of(waves));
  }

  @Override
  public void close() throws InterruptedException {
    devices.forEach(FakeDevice::close);
    agent.close();
  }
}
