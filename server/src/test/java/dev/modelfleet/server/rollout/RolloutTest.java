package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static dev.modelfleet.server.rollout.RolloutFixture.get;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Rollouts driven through the admin API, with devices speaking the real Sync protocol and answering
 * each desired state as an agent would.
 */
@QuarkusTest
class RolloutTest {

  private static final Map<String, Object> FAST =
      Map.of(
          "successThreshold", 100, "failureThreshold", 0, "soakSeconds", 0, "timeoutSeconds", 30);

  @Test
  void wavesAdvanceOnSuccessWithACanaryOfEveryHardwareClass() throws Exception {
    try (RolloutFixture f = new RolloutFixture(101)) {
      f.add(7, "cpu-a-" + f.site, v -> Reaction.ACTIVATE);
      f.add(3, "cpu-b-" + f.site, v -> Reaction.ACTIVATE);
      JsonPath created =
          f.start(
              Map.of(
                  "defaults",
                  FAST,
                  "waves",
                  List.of(Map.of("percent", 10), Map.of("count", 3), Map.of("percent", 100))));
      String id = created.getString("id");
      // the first wave would be 1 device by percentage; a canary per class makes it 2
      assertEquals(2, created.getInt("waves[0].planned"));
      Set<String> firstWaveClasses =
          new HashSet<>(
              admin()
                  .get("/api/v1/rollouts/" + id + "/devices")
                  .then()
                  .statusCode(200)
                  .extract()
                  .jsonPath()
                  .getList("findAll { it.wave == 0 }.hardwareClassId"));
      assertEquals(2, firstWaveClasses.size(), "one canary per hardware class");

      JsonPath done = awaitState(id, "completed");
      assertEquals(10, done.getInt("totals.byState.active"));
      assertEquals(List.of(2, 3, 5), done.getList("waves.planned"));
      List<String> types = done.getList("events.type");
      assertEquals(
          3, types.stream().filter("wave-started"::equals).count(), "each wave starts once");
      assertEquals(3, types.stream().filter("wave-succeeded"::equals).count());
      f.devices.forEach(d -> assertEquals("2", d.runs(f.model)));

      admin()
          .get("/api/v1/devices/" + f.devices.get(0).id + "/history")
          .then()
          .statusCode(200)
          .body("find { it.kind == 'desired' }.cause", equalTo("rollout"))
          .body("find { it.kind == 'desired' }.rolloutId", equalTo(id))
          .body("find { it.kind == 'active' }.version", equalTo("2"));
    }
  }

  @Test
  void failureThresholdBreachPausesAndResumeAcceptsTheFailures() throws Exception {
    try (RolloutFixture f = new RolloutFixture(111)) {
      f.add(1, "cpu-fail-" + f.site, v -> Reaction.FAIL);
      f.add(3, "cpu-ok-" + f.site, v -> Reaction.ACTIVATE);
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      FAST,
                      "waves",
                      List.of(Map.of("percent", 50), Map.of("percent", 100))))
              .getString("id");

      JsonPath paused = awaitState(id, "paused");
      assertTrue(
          paused.getString("stateReason").contains("load-failed"), paused.getString("stateReason"));
      assertEquals(1, paused.getInt("totals.byState.failed"));
      assertEquals("paused", paused.getString("waves[0].state"), "the wave it paused in");
      assertEquals("waiting", paused.getString("waves[1].state"), "no further wave while paused");
      TallyAgreement.assertAgrees(id);

      admin()
          .post("/api/v1/rollouts/" + id + "/resume")
          .then()
          .statusCode(200)
          .body("state", equalTo("running"))
          .body("waves[0].state", equalTo("running"))
          .body("waves[0].acceptedFailures", equalTo(1));
      JsonPath done = awaitState(id, "completed");
      assertEquals(3, done.getInt("totals.byState.active"));
      TallyAgreement.assertAgrees(id);
      assertTrue(
          done.getList("events.type")
              .containsAll(List.of("breach", "paused", "resumed", "completed")));
    }
  }

  @Test
  void breachWithRollbackRestoresThePreviousVersionAtAHigherGeneration() throws Exception {
    try (RolloutFixture f = new RolloutFixture(121)) {
      f.add(2, "cpu-rb-ok-" + f.site, v -> Reaction.ACTIVATE);
      f.add(1, "cpu-rb-bad-" + f.site, v -> v.equals("2") ? Reaction.FAIL : Reaction.ACTIVATE);
      f.allOnVersion1();
      long generationBefore = generation(f.devices.get(0).id);
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      FAST,
                      "onBreach",
                      "rollback",
                      "waves",
                      List.of(Map.of("percent", 100))))
              .getString("id");

      JsonPath rolledBack = awaitState(id, "rolled_back");
      assertEquals(3, rolledBack.getInt("totals.byState.rolled_back"));
      Eventually.within(
          Duration.ofSeconds(10), () -> f.devices.forEach(d -> assertEquals("1", d.runs(f.model))));
      for (FakeDevice d : f.devices) {
        admin()
            .get("/api/v1/devices/" + d.id)
            .then()
            .statusCode(200)
            .body("desired.models[0].version", equalTo("1"));
        assertTrue(
            generation(d.id) >= generationBefore + 2,
            "a rollback is a new generation, not a replay");
        assertTrue(
            d.downgradeAllowed(f.model),
            "the rollback's signed desired state allows the older version");
      }
      admin()
          .get("/api/v1/devices/" + f.devices.get(0).id + "/history")
          .then()
          .body("find { it.kind == 'desired' }.cause", equalTo("rollback"))
          .body("find { it.kind == 'desired' }.version", equalTo("1"));
      // the devices are free again: a new rollout of the model may take them, and its desired
      // states allow no downgrade
      f.start(Map.of("defaults", FAST, "waves", List.of(Map.of("percent", 100))));
      Eventually.within(
          Duration.ofSeconds(10),
          () -> f.devices.forEach(d -> assertFalse(d.downgradeAllowed(f.model))));
    }
  }

  @Test
  void latencyAndErrorGatesFailDevicesThatGotWorseThanTheirPreviousVersion() throws Exception {
    try (RolloutFixture f = new RolloutFixture(131)) {
      List<FakeDevice> devices = f.add(2, "cpu-gate-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      FakeDevice slower = devices.get(0);
      FakeDevice erring = devices.get(1);
      slower.heartbeat(f.model, "1", 500, 0, 2.0);
      erring.heartbeat(f.model, "1", 500, 1, 2.0);
      // 50 %: one unhealthy device of two is not yet a breach, so both get judged before it pauses
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      Map.of(
                          "successThreshold",
                          100,
                          "failureThreshold",
                          50,
                          "soakSeconds",
                          3600,
                          "timeoutSeconds",
                          30),
                      "gates",
                      Map.of("errorRateTolerance", 1.0, "latencyTolerance", 25, "minRequests", 100),
                      "waves",
                      List.of(Map.of("percent", 100))))
              .getString("id");
      Eventually.within(
          Duration.ofSeconds(10), () -> assertEquals(2, get(id).getInt("totals.byState.active")));

      // within tolerance: nothing happens
      slower.heartbeat(f.model, "2", 200, 0, 2.4);
      erring.heartbeat(f.model, "2", 200, 1, 2.0);
      Thread.sleep(1500);
      assertEquals("running", get(id).getString("state"));

      slower.heartbeat(f.model, "2", 400, 0, 9.0);
      erring.heartbeat(f.model, "2", 400, 40, 2.0);
      JsonPath paused = awaitState(id, "paused");
      List<String> reasons = paused.getList("problems.reason");
      assertTrue(
          reasons.stream().anyMatch(r -> r.startsWith("latency-regression")), reasons.toString());
      assertTrue(
          reasons.stream().anyMatch(r -> r.startsWith("error-rate-regression")),
          reasons.toString());
      assertEquals(2, paused.getInt("waves[0].gate.unhealthy"));
      assertEquals(5.0, paused.getDouble("waves[0].gate.errorRateNow"), 0.01, "40 of 800 requests");
      assertEquals(
          0.1, paused.getDouble("waves[0].gate.errorRateBefore"), 0.01, "1 of 1000 requests");
      assertEquals(2, paused.getInt("waves[0].gate.judgedDevices"));
      assertEquals(5.5, paused.getDouble("waves[0].gate.p95NowMs"), 1e-9, "median of 9.0 and 2.0");
      assertEquals(2.0, paused.getDouble("waves[0].gate.p95BeforeMs"), 1e-9);
      TallyAgreement.assertAgrees(id);
    }
  }

  @Test
  void absoluteCeilingsJudgeDevicesThatRanNoVersionBefore() throws Exception {
    try (RolloutFixture f = new RolloutFixture(133)) {
      List<FakeDevice> devices = f.add(3, "cpu-ceil-" + f.site, v -> Reaction.ACTIVATE);
      FakeDevice slow = devices.get(0);
      FakeDevice erring = devices.get(1);
      FakeDevice fine = devices.get(2);
      // 34 %: two unhealthy devices of three are a breach, so all three get judged first
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      Map.of(
                          "successThreshold",
                          100,
                          "failureThreshold",
                          34,
                          "soakSeconds",
                          3600,
                          "timeoutSeconds",
                          30),
                      "gates",
                      Map.of("maxErrorPercent", 2.0, "maxP95Ms", 5.0, "minRequests", 100),
                      "waves",
                      List.of(Map.of("percent", 100))))
              .getString("id");
      Eventually.within(
          Duration.ofSeconds(10), () -> assertEquals(3, get(id).getInt("totals.byState.active")));

      fine.heartbeat(f.model, "2", 300, 3, 4.5);
      slow.heartbeat(f.model, "2", 300, 0, 9.0);
      erring.heartbeat(f.model, "2", 300, 15, 2.0);
      JsonPath paused = awaitState(id, "paused");
      List<String> reasons = paused.getList("problems.reason");
      assertTrue(
          reasons.contains("latency-ceiling: p95 9.00 ms over 300 requests (at most 5.00 ms)"),
          reasons.toString());
      assertTrue(
          reasons.contains("error-rate-ceiling: 5.0 % of 300 requests failed (at most 2.0 %)"),
          reasons.toString());
      assertEquals(2, reasons.size(), "the device under both ceilings passes: " + reasons);
      assertEquals(2.0, paused.getDouble("plan.gates.maxErrorPercent"), 1e-9);
      TallyAgreement.assertAgrees(id);
    }
  }

  @Test
  void ceilingsThatAreNotOnesAreRefused() throws Exception {
    try (RolloutFixture f = new RolloutFixture(135)) {
      f.add(1, "cpu-ceil400-" + f.site, v -> Reaction.ACTIVATE);
      for (Map<String, Object> gates :
          List.<Map<String, Object>>of(Map.of("maxErrorPercent", 150), Map.of("maxP95Ms", 0))) {
        Map<String, Object> body =
            new java.util.HashMap<>(
                Map.of("model", f.model, "version", "2", "selector", "site=" + f.site));
        body.put("gates", gates);
        adminJson()
            .body(body)
            .post("/api/v1/rollouts")
            .then()
            .statusCode(400)
            .contentType("application/problem+json")
            .body("detail", containsString("gates: '" + gates.keySet().iterator().next() + "'"));
      }
    }
  }

  @Test
  void silentProviderFallbackFailsTheGate() throws Exception {
    try (RolloutFixture f = new RolloutFixture(141)) {
      f.add(1, "cpu-fb-" + f.site, v -> Reaction.ACTIVATE)
          .get(0)
          .reportProvider("CUDAExecutionProvider");
      String id =
          f.start(Map.of("defaults", FAST, "waves", List.of(Map.of("percent", 100))))
              .getString("id");
      JsonPath paused = awaitState(id, "paused");
      assertTrue(
          paused.getString("problems[0].reason").startsWith("provider-fallback"),
          paused.getString("problems[0].reason"));
      assertEquals(1, paused.getInt("waves[0].gate.providerFallbacks"));
      TallyAgreement.assertAgrees(id);
    }
  }

  @Test
  void unreportingDeviceTimesOutAsThePolicySays() throws Exception {
    try (RolloutFixture f = new RolloutFixture(151)) {
      f.add(1, "cpu-silent-" + f.site, v -> Reaction.IGNORE);
      f.add(1, "cpu-talks-" + f.site, v -> Reaction.ACTIVATE);
      String skipping =
          f.start(
                  Map.of(
                      "defaults",
                      Map.of(
                          "successThreshold",
                          100,
                          "failureThreshold",
                          0,
                          "soakSeconds",
                          0,
                          "timeoutSeconds",
                          1,
                          "onTimeout",
                          "skipped"),
                      "waves",
                      List.of(Map.of("percent", 100))))
              .getString("id");
      JsonPath done = awaitState(skipping, "completed");
      assertEquals(1, done.getInt("totals.byState.skipped"));
      assertTrue(done.getString("problems[0].reason").startsWith("timed out"));
    }
    try (RolloutFixture f = new RolloutFixture(161)) {
      f.add(1, "cpu-silent2-" + f.site, v -> Reaction.IGNORE);
      String failing =
          f.start(
                  Map.of(
                      "defaults",
                      Map.of(
                          "failureThreshold",
                          0,
                          "soakSeconds",
                          0,
                          "timeoutSeconds",
                          1,
                          "onTimeout",
                          "failed"),
                      "waves",
                      List.of(Map.of("percent", 100))))
              .getString("id");
      assertTrue(awaitState(failing, "paused").getString("stateReason").contains("timed out"));
    }
  }

  @Test
  void approvalGateHoldsTheWaveUntilAnOperatorApproves() throws Exception {
    try (RolloutFixture f = new RolloutFixture(171)) {
      f.add(4, "cpu-appr-" + f.site, v -> Reaction.ACTIVATE);
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      FAST,
                      "waves",
                      List.of(Map.of("count", 1), Map.of("percent", 100, "requireApproval", true))))
              .getString("id");
      Eventually.within(
          Duration.ofSeconds(10),
          () -> assertEquals("awaiting_approval", get(id).getString("waves[1].state")));
      Thread.sleep(500);
      assertEquals(
          1, get(id).getInt("totals.byState.active"), "nothing beyond wave 1 before approval");
      admin().post("/api/v1/rollouts/" + id + "/approve").then().statusCode(200);
      JsonPath done = awaitState(id, "completed");
      assertEquals("admin", done.getString("waves[1].approvedBy"));
      assertEquals(4, done.getInt("totals.byState.active"));
    }
  }

  @Test
  void abortStopsFurtherWavesAndDevicesKeepWhatTheyHave() throws Exception {
    try (RolloutFixture f = new RolloutFixture(181)) {
      f.add(3, "cpu-abort-" + f.site, v -> Reaction.ACTIVATE);
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      FAST,
                      "waves",
                      List.of(Map.of("count", 1), Map.of("percent", 100, "requireApproval", true))))
              .getString("id");
      Eventually.within(
          Duration.ofSeconds(10),
          () -> assertEquals("awaiting_approval", get(id).getString("waves[1].state")));
      adminJson()
          .body(Map.of("reason", "wrong build"))
          .post("/api/v1/rollouts/" + id + "/abort")
          .then()
          .statusCode(200)
          .body("state", equalTo("aborted"))
          .body("stateReason", equalTo("wrong build"));
      Thread.sleep(500);
      JsonPath aborted = get(id);
      assertEquals(1, aborted.getInt("totals.byState.active"));
      assertEquals(2, aborted.getInt("totals.byState.waiting"));
      admin()
          .post("/api/v1/rollouts/" + id + "/resume")
          .then()
          .statusCode(409)
          .body("code", equalTo("illegal-state"));
    }
  }

  @Test
  void scheduledRolloutStartsOnTime() throws Exception {
    try (RolloutFixture f = new RolloutFixture(191)) {
      f.add(1, "cpu-sched-" + f.site, v -> Reaction.ACTIVATE);
      String at = Instant.now().plusSeconds(2).toString();
      String id =
          adminJson()
              .body(
                  Map.of(
                      "model",
                      f.model,
                      "version",
                      "2",
                      "selector",
                      "site=" + f.site,
                      "startAt",
                      at,
                      "defaults",
                      FAST,
                      "waves",
                      List.of(Map.of("percent", 100))))
              .post("/api/v1/rollouts")
              .then()
              .statusCode(201)
              .body("state", equalTo("scheduled"))
              .extract()
              .path("id");
      JsonPath done = awaitState(id, "completed");
      assertTrue(
          Instant.parse(done.getString("startedAt")).isAfter(Instant.parse(at).minusMillis(1)));
    }
  }

  @Test
  void overlappingRolloutIsRefusedOrQueued() throws Exception {
    try (RolloutFixture f = new RolloutFixture(201)) {
      f.add(2, "cpu-conf-" + f.site, v -> Reaction.ACTIVATE);
      String first =
          f.start(
                  Map.of(
                      "defaults",
                      FAST,
                      "waves",
                      List.of(Map.of("count", 1), Map.of("percent", 100, "requireApproval", true))))
              .getString("id");
      adminJson()
          .body(
              Map.of("model", f.model, "version", "1", "selector", "site=" + f.site, "start", true))
          .post("/api/v1/rollouts")
          .then()
          .statusCode(409)
          .contentType("application/problem+json")
          .body("code", equalTo("rollout-conflict"))
          .body("detail", containsString(first));
      String queued =
          adminJson()
              .body(
                  Map.of(
                      "model",
                      f.model,
                      "version",
                      "1",
                      "selector",
                      "site=" + f.site,
                      "start",
                      true,
                      "onConflict",
                      "queue",
                      "defaults",
                      FAST,
                      "waves",
                      List.of(Map.of("percent", 100))))
              .post("/api/v1/rollouts")
              .then()
              .statusCode(201)
              .body("state", equalTo("queued"))
              .extract()
              .path("id");
      admin().post("/api/v1/rollouts/" + first + "/abort").then().statusCode(200);
      awaitState(queued, "completed");
      f.devices.forEach(d -> assertEquals("1", d.runs(f.model)));
    }
  }

  @Test
  void deviceThatStartsMatchingLaterJoinsTheRunningWave() throws Exception {
    try (RolloutFixture f = new RolloutFixture(211)) {
      f.add(1, "cpu-late-" + f.site, v -> Reaction.ACTIVATE);
      String id =
          f.start(
                  Map.of(
                      "joinLate",
                      true,
                      "defaults",
                      Map.of("soakSeconds", 3600, "timeoutSeconds", 600),
                      "waves",
                      List.of(Map.of("percent", 100))))
              .getString("id");
      Eventually.within(Duration.ofSeconds(10), () -> assertEquals(1, activeCount(get(id))));
      FakeDevice late = f.add(1, "cpu-late-" + f.site, v -> Reaction.ACTIVATE).get(0);
      Eventually.within(Duration.ofSeconds(15), () -> assertEquals("2", late.runs(f.model)));
      // the device's ACTIVE report reaches the rollout's totals a moment after the device runs it
      Eventually.within(
          Duration.ofSeconds(10),
          () -> {
            JsonPath running = get(id);
            assertEquals(2, activeCount(running));
            assertTrue(running.getList("events.type").contains("devices-joined"));
          });
    }
  }

  /** Devices active in the rollout; the key is absent while there are none. */
  private static int activeCount(JsonPath rollout) {
    Integer active = rollout.get("totals.byState.active");
    return active == null ? 0 : active;
  }

  private static long generation(String deviceId) {
    return admin()
        .get("/api/v1/devices/" + deviceId)
        .then()
        .extract()
        .jsonPath()
        .getLong("desired.generation");
  }
}
