package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every refusal is problem+json with a stable code, and leaves everything stored as it was. */
@QuarkusTest
class RolloutBadInputTest {

  @Test
  void badRequestsAreRefusedAndChangeNothing() throws Exception {
    try (RolloutFixture f = new RolloutFixture(301)) {
      f.add(2, "cpu-bad-" + f.site, v -> Reaction.ACTIVATE);
      Map<String, Object> base =
          Map.of("model", f.model, "version", "2", "selector", "site=" + f.site);
      var before = Db.snapshot();

      refused(
          with(base, "selector", "site=nowhere-" + UUID.randomUUID()),
          422,
          "empty-selection",
          "matches no active device");
      refused(with(base, "selector", "site in ("), 400, "invalid-label-selector", "");
      refused(
          with(base, "waves", List.of(Map.of("percent", 10), Map.of("percent", 50))),
          400,
          "invalid-rollout-plan",
          "do not add up");
      refused(
          with(
              base,
              "waves",
              List.of(Map.of("percent", 50), Map.of("percent", 20), Map.of("percent", 100))),
          400,
          "invalid-rollout-plan",
          "must grow");
      refused(
          with(base, "waves", List.of(Map.of("percent", 10, "count", 2), Map.of("percent", 100))),
          400,
          "invalid-rollout-plan",
          "exactly one of");
      refused(with(base, "waves", List.of()), 400, "invalid-rollout-plan", "between 1 and");
      refused(
          with(base, "defaults", Map.of("successThreshold", 101)),
          400,
          "invalid-rollout-plan",
          "successThreshold");
      refused(
          with(base, "waves", List.of(Map.of("percent", 100, "failureThreshold", -1))),
          400,
          "invalid-rollout-plan",
          "failureThreshold");
      refused(
          with(base, "defaults", Map.of("onTimeout", "ignore")),
          400,
          "invalid-rollout-plan",
          "onTimeout");
      refused(with(base, "onBreach", "explode"), 400, "invalid-rollout-plan", "onBreach");
      refused(
          with(base, "gates", Map.of("minRequests", 0)),
          400,
          "invalid-rollout-plan",
          "minRequests");
      refused(with(base, "version", "9"), 404, "not-found", "no version '9'");
      refused(with(base, "model", "no-such-model"), 404, "not-found", "no-such-model");
      refused(
          with(with(base, "start", true), "startAt", "2030-01-01T00:00:00Z"),
          400,
          "invalid-request",
          "not both");
      adminJson()
          .body("{\"model\": ")
          .post("/api/v1/rollouts")
          .then()
          .statusCode(400)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("malformed-json"));
      admin()
          .post("/api/v1/rollouts/" + UUID.randomUUID() + "/start")
          .then()
          .statusCode(404)
          .body("code", equalTo("not-found"));
      admin()
          .get("/api/v1/rollouts?state=sleeping")
          .then()
          .statusCode(400)
          .body("code", equalTo("invalid-request"));
      assertEquals(before, Db.snapshot());

      adminJson()
          .body(Map.of("reason", "bad calibration"))
          .post("/api/v1/models/" + f.model + "/versions/2/revoke")
          .then()
          .statusCode(200)
          .body("revokedReason", equalTo("bad calibration"));
      var afterRevoke = Db.snapshot();
      refused(base, 409, "version-revoked", "bad calibration");
      adminJson()
          .body(Map.of("selector", "site=" + f.site))
          .post("/api/v1/models/" + f.model + "/versions/2/assignments")
          .then()
          .statusCode(409)
          .body("code", equalTo("version-revoked"));
      assertEquals(afterRevoke, Db.snapshot());
    }
  }

  @Test
  void actionsIllegalInTheCurrentStateAreRefused() throws Exception {
    try (RolloutFixture f = new RolloutFixture(311)) {
      f.add(1, "cpu-illegal-" + f.site, v -> Reaction.ACTIVATE);
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
                      "defaults",
                      Map.of("soakSeconds", 0),
                      "waves",
                      List.of(Map.of("percent", 100))))
              .post("/api/v1/rollouts")
              .then()
              .statusCode(201)
              .body("state", equalTo("created"))
              .extract()
              .path("id");
      for (String action : List.of("pause", "resume", "approve", "rollback")) {
        admin()
            .post("/api/v1/rollouts/" + id + "/" + action)
            .then()
            .statusCode(409)
            .contentType(PROBLEM_JSON)
            .body("code", equalTo("illegal-state"));
      }
      admin().post("/api/v1/rollouts/" + id + "/start").then().statusCode(200);
      RolloutFixture.awaitState(id, "completed");
      var before = Db.snapshot();
      for (String action : List.of("start", "pause", "resume", "abort", "approve")) {
        admin()
            .post("/api/v1/rollouts/" + id + "/" + action)
            .then()
            .statusCode(409)
            .body("code", equalTo("illegal-state"))
            .body("detail", containsString("completed"));
      }
      assertEquals(before, Db.snapshot());
      assertEquals("completed", RolloutFixture.get(id).getString("state"));
    }
  }

  private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
    Map<String, Object> body = new HashMap<>(base);
    body.put(key, value);
    return body;
  }

  private static void refused(Map<String, Object> body, int status, String code, String detail) {
    adminJson()
        .body(body)
        .post("/api/v1/rollouts")
        .then()
        .statusCode(status)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo(code))
        .body("detail", containsString(detail));
  }
}
