package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static dev.modelfleet.server.rollout.RolloutFixture.get;
import static dev.modelfleet.server.support.Api.adminJson;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.ShadowFigures;
import dev.modelfleet.server.console.ConsoleSessionTest;
import dev.modelfleet.server.console.ConsoleSessionTest.Browser;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rollouts whose waves first run the version as a shadow: devices speak the real Sync protocol and
 * report the shadow aggregates a real agent would, and the gate decides from them.
 */
@QuarkusTest
class ShadowPhaseTest {

  private static final Map<String, Object> FAST =
      Map.of(
          "successThreshold", 100, "failureThreshold", 0, "soakSeconds", 0, "timeoutSeconds", 30);

  private static Map<String, Object> plan(Map<String, Object> shadow) {
    Map<String, Object> phase =
        new HashMap<>(
            Map.of(
                "comparison",
                "top1>=0.99",
                "sampleRate",
                0.5,
                "maxPerSecond",
                50,
                "minSamples",
                100,
                "minSeconds",
                0,
                "maxSeconds",
                120));
    phase.putAll(shadow);
    return Map.of("defaults", FAST, "waves", List.of(Map.of("percent", 100)), "shadow", phase);
  }

  private static ShadowFigures figures(
      String model, long compared, double top1, double candidateP95, double servingP95) {
    return ShadowFigures.newBuilder()
        .setModel(model)
        .setServingVersion("1")
        .setCandidateVersion("2")
        .setComparison("top1>=0.99")
        .setCompared(compared)
        .setValue(top1)
        .setPasses(top1 >= 0.99)
        .setCandidateP50Ms(candidateP95 / 2)
        .setCandidateP95Ms(candidateP95)
        .setServingP50Ms(servingP95 / 2)
        .setServingP95Ms(servingP95)
        .build();
  }

  /** Waits until every device is told to shadow version 2 while it still serves version 1. */
  private static void awaitShadowing(RolloutFixture f) {
    Eventually.within(
        Duration.ofSeconds(20),
        () ->
            f.devices.forEach(
                d -> {
                  assertEquals("2", d.shadowOf(f.model), d.id + " shadows version 2");
                  assertEquals("1", d.runs(f.model), d.id + " still serves version 1");
                }));
  }

  @Test
  void anAgreeingCandidateCutsOverOnlyOnceEnoughSamplesWereCompared() throws Exception {
    try (RolloutFixture f = new RolloutFixture(201)) {
      f.add(2, "cpu-sh-ok-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      String id = f.start(plan(Map.of("minSamples", 150))).getString("id");
      awaitShadowing(f);
      assertEquals("shadowing", get(id).getString("waves[0].state"));

      // 60 samples of the 150 needed (110 once the first of the next two arrived): it waits
      f.devices.forEach(d -> d.shadowHeartbeat(figures(f.model, 30, 1.0, 1.0, 1.0)));
      Eventually.within(
          Duration.ofSeconds(10),
          () -> assertEquals(60, get(id).getLong("waves[0].shadow.compared")));
      f.devices.forEach(d -> d.shadowHeartbeat(figures(f.model, 80, 1.0, 1.1, 1.0)));

      JsonPath done = awaitState(id, "completed");
      String passed =
          done.getList("events", Map.class).stream()
              .filter(e -> "shadow-passed".equals(e.get("type")))
              .map(e -> (String) e.get("detail"))
              .findFirst()
              .orElseThrow();
      assertTrue(passed.contains("160 samples on 2 devices"), passed);
      assertTrue(done.getString("waves[0].shadow.verdict").startsWith("passed"));
      assertEquals(1.0, done.getDouble("waves[0].shadow.value"), 1e-9);
      f.devices.forEach(d -> assertEquals("2", d.runs(f.model)));
      Eventually.within(
          Duration.ofSeconds(10), () -> f.devices.forEach(d -> assertNull(d.shadowOf(f.model))));
    }
  }

  /** A float32 .npy of {@code shape} as numpy.save writes it (version 1.0, padded header). */
  private static byte[] npy(long... shape) {
    StringBuilder dims = new StringBuilder();
    long elements = 1;
    for (long d : shape) {
      dims.append(d).append(", ");
      elements *= d;
    }
    String header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': ("
            + dims.toString().strip().replaceAll(",$", "")
            + "), }";
    header = header + " ".repeat((64 - (11 + header.length()) % 64) % 64) + "\n";
    java.nio.ByteBuffer out =
        java.nio.ByteBuffer.allocate(10 + header.length() + (int) elements * 4)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    out.put((byte) 0x93).put("NUMPY".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    out.put((byte) 1).put((byte) 0).putShort((short) header.length());
    out.put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    for (long i = 0; i < elements; i++) {
      out.putFloat(i % 7 - 3);
    }
    return out.array();
  }

  private static JsonPath uploadValidationSet(String model, byte[] npy) {
    return Api.admin()
        .contentType("application/octet-stream")
        .body(npy)
        .post("/api/v1/models/" + model + "/versions/2/derivation-samples")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  @Test
  void aValidationSetRidesSignedToTheDevicesAndTheWaveCountsTheSamplesFromIt() throws Exception {
    try (RolloutFixture f = new RolloutFixture(271)) {
      f.add(2, "cpu-sh-val-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      byte[] set = npy(8, 1, 4);
      String setId = uploadValidationSet(f.model, set).getString("id");

      // an id that is no upload's, or a set that does not fit the version's inputs: a 4xx at
      // creation, and nothing starts
      adminJson()
          .body(
              Map.of(
                  "model",
                  f.model,
                  "version",
                  "2",
                  "selector",
                  "site=" + f.site,
                  "shadow",
                  Map.of("comparison", "top1>=0.99", "validationSet", "ab12")))
          .post("/api/v1/rollouts")
          .then()
          .statusCode(400)
          .body("detail", containsString("'validationSet' is the id"));
      String wrongShape = uploadSetUnchecked(f.model, npy(8, 1, 5));
      adminJson()
          .body(
              Map.of(
                  "model",
                  f.model,
                  "version",
                  "2",
                  "selector",
                  "site=" + f.site,
                  "shadow",
                  Map.of("comparison", "top1>=0.99", "validationSet", wrongShape)))
          .post("/api/v1/rollouts")
          .then()
          .statusCode(
              org.hamcrest.Matchers.both(org.hamcrest.Matchers.greaterThanOrEqualTo(400))
                  .and(org.hamcrest.Matchers.lessThan(500)));

      String id =
          f.start(plan(Map.of("validationSet", setId, "idleSeconds", 5, "minSamples", 100)))
              .getString("id");
      awaitShadowing(f);
      for (FakeDevice d : f.devices) {
        var candidate = d.shadowCandidate(f.model);
        assertEquals(setId, candidate.getValidationSha256());
        assertEquals(set.length, candidate.getValidationSize());
        assertEquals(5, candidate.getIdleSeconds());
      }
      // quiet devices: every compared sample came from the validation set
      f.devices.forEach(
          d ->
              d.shadowHeartbeat(
                  figures(f.model, 60, 1.0, 1.0, 1.0).toBuilder()
                      .setValidationCompared(60)
                      .build()));
      JsonPath done = awaitState(id, "completed");
      assertEquals(120, done.getLong("waves[0].shadow.compared"));
      assertEquals(120, done.getLong("waves[0].shadow.fromValidationSet"));
      Browser browser = ConsoleSessionTest.signIn(Api.ADMIN_TOKEN);
      given()
          .cookie("mf_session", browser.session())
          .get("/console/rollouts/" + id + "/live")
          .then()
          .statusCode(200)
          .body(containsString("120 samples compared on 2 devices (120 from the validation set)"));
    }
  }

  /** An upload the server may refuse for this model; its id when stored, else a made-up one. */
  private static String uploadSetUnchecked(String model, byte[] npy) {
    var response =
        Api.admin()
            .contentType("application/octet-stream")
            .body(npy)
            .post("/api/v1/models/" + model + "/versions/2/derivation-samples");
    return response.statusCode() == 201 ? response.jsonPath().getString("id") : "0".repeat(64);
  }

  @Test
  void aDisagreeingCandidatePausesTheRolloutWithTheAgreementFigureAndNeverServes()
      throws Exception {
    try (RolloutFixture f = new RolloutFixture(211)) {
      f.add(2, "cpu-sh-bad-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      String id = f.start(plan(Map.of())).getString("id");
      awaitShadowing(f);
      f.devices.get(0).shadowHeartbeat(figures(f.model, 80, 1.0, 1.0, 1.0));
      // wrong and slow: the reason names both breaches, not only the first one checked
      f.devices.get(1).shadowHeartbeat(figures(f.model, 80, 0.52, 9.0, 1.0));

      JsonPath paused = awaitState(id, "paused");
      String reason = paused.getString("stateReason");
      assertTrue(reason.contains("agreement 0.5200"), reason);
      assertTrue(reason.contains("candidate p95 9.00 ms vs serving 1.00 ms"), reason);
      assertTrue(reason.contains(f.devices.get(1).id), reason);
      assertTrue(reason.contains("top1>=0.99"), reason);
      assertEquals(0.52, paused.getDouble("waves[0].shadow.value"), 1e-9);
      assertEquals(160, paused.getLong("waves[0].shadow.compared"));
      Eventually.within(
          Duration.ofSeconds(10), () -> f.devices.forEach(d -> assertNull(d.shadowOf(f.model))));
      for (FakeDevice d : f.devices) {
        assertEquals("1", d.runs(f.model));
        assertFalse(d.everToldToServe(f.model, "2"), d.id + " was never told to serve 2");
      }
    }
  }

  @Test
  void aCandidateADeviceCannotLoadFailsThePhaseAtOnceWithTheDevicesReason() throws Exception {
    try (RolloutFixture f = new RolloutFixture(251)) {
      f.add(2, "cpu-sh-load-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      // Long enough that only the reported reason, not the phase's timeout, can end it in time.
      String id = f.start(plan(Map.of("maxSeconds", 3600))).getString("id");
      awaitShadowing(f);
      f.devices.get(0).shadowHeartbeat(figures(f.model, 40, 1.0, 1.0, 1.0));
      f.devices
          .get(1)
          .shadowHeartbeat(
              ShadowFigures.newBuilder()
                  .setModel(f.model)
                  .setServingVersion("1")
                  .setCandidateVersion("2")
                  .setComparison("top1>=0.99")
                  .setLoadFailure("sha256-mismatch: the artifact's sha256 is not the signed one")
                  .build());

      JsonPath paused = awaitState(id, "paused");
      String reason = paused.getString("stateReason");
      assertTrue(reason.contains("could not run the candidate: sha256-mismatch"), reason);
      assertTrue(reason.contains(f.devices.get(1).id), reason);
      assertEquals(1, paused.getInt("waves[0].shadow.loadFailures"));
      assertTrue(paused.getString("waves[0].shadow.verdict").startsWith("failed"));
      // the console's rollout page shows the same evidence
      Browser browser = ConsoleSessionTest.signIn(Api.ADMIN_TOKEN);
      given()
          .cookie("mf_session", browser.session())
          .get("/console/rollouts/" + id + "/live")
          .then()
          .statusCode(200)
          .body(containsString("Shadow phase (top1&gt;=0.99): 40 samples compared on 2 devices"))
          .body(containsString("1 devices could not load it"))
          .body(containsString("could not run the candidate: sha256-mismatch"));
      for (FakeDevice d : f.devices) {
        assertEquals("1", d.runs(f.model));
        assertFalse(d.everToldToServe(f.model, "2"), d.id + " was never told to serve 2");
      }
    }
  }

  @Test
  void aSlowCandidateIsStoppedByTheLatencyRatio() throws Exception {
    try (RolloutFixture f = new RolloutFixture(221)) {
      f.add(1, "cpu-sh-slow-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      String id = f.start(plan(Map.of("maxLatencyRatio", 1.5))).getString("id");
      awaitShadowing(f);
      f.devices.get(0).shadowHeartbeat(figures(f.model, 150, 1.0, 4.0, 1.0));

      JsonPath paused = awaitState(id, "paused");
      assertTrue(
          paused.getString("stateReason").contains("x4.00"), paused.getString("stateReason"));
      assertEquals("1", f.devices.get(0).runs(f.model));
      assertFalse(f.devices.get(0).everToldToServe(f.model, "2"));
    }
  }

  @Test
  void aShadowPhaseWhoseComparisonIsNotOneIsRefusedAtCreation() throws Exception {
    try (RolloutFixture f = new RolloutFixture(231)) {
      f.add(1, "cpu-sh-400-" + f.site, v -> Reaction.ACTIVATE);
      // not a comparator at all; top-5 agreement on a model with 3 classes
      for (String comparison : List.of("closeness>=0.99", "top5>=0.9")) {
        Map<String, Object> body =
            new HashMap<>(Map.of("model", f.model, "version", "2", "selector", "site=" + f.site));
        body.putAll(plan(Map.of("comparison", comparison)));
        adminJson()
            .body(body)
            .post("/api/v1/rollouts")
            .then()
            .statusCode(400)
            .contentType("application/problem+json")
            .body("detail", containsString("shadow"))
            .body("detail", containsString(comparison));
      }
      Map<String, Object> noComparison =
          new HashMap<>(Map.of("model", f.model, "version", "2", "selector", "site=" + f.site));
      noComparison.putAll(
          Map.of("waves", List.of(Map.of("percent", 100)), "shadow", Map.of("sampleRate", 0.1)));
      adminJson()
          .body(noComparison)
          .post("/api/v1/rollouts")
          .then()
          .statusCode(400)
          .body("detail", containsString("'comparison' is required"));
    }
  }

  @Test
  void onlyTheWavesTheShadowPhaseNamesGoThroughIt() throws Exception {
    try (RolloutFixture f = new RolloutFixture(241)) {
      f.add(2, "cpu-sh-waves-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      Map<String, Object> body = new HashMap<>(plan(Map.of("waves", List.of(1), "minSamples", 50)));
      body.put("waves", List.of(Map.of("count", 1), Map.of("percent", 100)));
      String id = f.start(body).getString("id");

      Eventually.within(
          Duration.ofSeconds(30),
          () -> assertEquals("shadowing", get(id).getString("waves[1].state")));
      JsonPath now = get(id);
      assertEquals("succeeded", now.getString("waves[0].state"));
      assertNull(now.get("waves[0].shadow"), "wave 0 had no shadow phase");
      assertEquals(List.of(1), now.getList("plan.shadow.waves"));
      FakeDevice cutOver =
          f.devices.stream().filter(d -> "2".equals(d.runs(f.model))).findFirst().orElseThrow();
      FakeDevice shadowing = f.devices.stream().filter(d -> d != cutOver).findFirst().orElseThrow();
      Eventually.within(
          Duration.ofSeconds(20), () -> assertEquals("2", shadowing.shadowOf(f.model)));
      assertEquals("1", shadowing.runs(f.model));
      shadowing.shadowHeartbeat(figures(f.model, 80, 1.0, 1.0, 1.0));

      awaitState(id, "completed");
      f.devices.forEach(d -> assertEquals("2", d.runs(f.model)));
    }
  }

  @Test
  void shadowWavesThatAreNotWavesOfThePlanAreRefusedAtCreation() throws Exception {
    try (RolloutFixture f = new RolloutFixture(261)) {
      f.add(1, "cpu-sh-w400-" + f.site, v -> Reaction.ACTIVATE);
      Map<List<?>, String> cases =
          Map.of(
              List.of(2), "from 0 to 1 (this plan has 2 waves), not 2",
              List.of(-1), "not -1",
              List.of(0, 0), "names wave 0 twice",
              List.of(), "leave it out for every wave");
      for (Map.Entry<List<?>, String> c : cases.entrySet()) {
        Map<String, Object> body =
            new HashMap<>(Map.of("model", f.model, "version", "2", "selector", "site=" + f.site));
        body.putAll(plan(Map.of("waves", c.getKey())));
        body.put("waves", List.of(Map.of("count", 1), Map.of("percent", 100)));
        adminJson()
            .body(body)
            .post("/api/v1/rollouts")
            .then()
            .statusCode(400)
            .contentType("application/problem+json")
            .body("detail", containsString("shadow: 'waves'"))
            .body("detail", containsString(c.getValue()));
      }
      adminJson()
          .get("/api/v1/rollouts?model=" + f.model)
          .then()
          .statusCode(200)
          .body("$", org.hamcrest.Matchers.empty());
    }
  }
}
