package dev.modelfleet.server.common;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Names an attacker would try in every name field (path traversal, SQL, shell and markup
 * metacharacters, control characters, sheer length), and bodies built to exhaust the parser: each
 * is refused with a 4xx problem (or stored verbatim where the name rule allows it) and never
 * changes what is already stored.
 */
@QuarkusTest
class HostileInputTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../../etc/passwd", "..", "a/b", "a\\b", "x'; drop table models; --", "$(rm -rf /)",
        "<script>alert(1)</script>", "tab\there", "new\nline", "%2e%2e%2f", " leading-space", "",
      })
  void hostileModelAndVersionNamesAreRefused(String name) {
    Map<String, Object> before = Db.snapshot();
    adminJson()
        .body(Map.of("name", name))
        .post("/api/v1/models")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", anyOf(equalTo("invalid-name"), equalTo("invalid-request")));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void hostileVersionNamesAndPathsChangeNothing() {
    String model = dev.modelfleet.server.support.Api.unique("hostile");
    adminJson().body(Map.of("name", model)).post("/api/v1/models").then().statusCode(201);
    Map<String, Object> before = Db.snapshot();
    for (String version : List.of("../1", "1;drop", "a".repeat(10_000), "1\u0000")) {
      adminJson()
          .body(Map.of("version", version))
          .post("/api/v1/models/" + model + "/versions")
          .then()
          .statusCode(400)
          .contentType(PROBLEM_JSON);
    }
    admin()
        .get("/api/v1/models/..%2F..%2Fetc/versions/1")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON);
    admin()
        .contentType("application/octet-stream")
        .body(new byte[] {1, 2, 3})
        .post(
            "/api/v1/models/"
                + model
                + "/versions/..%2F1/variants?precision=fp32&executionProvider=cpu")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON);
    assertEquals(before, Db.snapshot());
  }

  @Test
  void rolloutBodiesBuiltToExhaustTheServerAreRefused() {
    Map<String, Object> before = Db.snapshot();
    List<Map<String, Object>> manyWaves = new ArrayList<>();
    for (int i = 1; i <= 5_000; i++) {
      manyWaves.add(Map.of("count", 1));
    }
    adminJson()
        .body(Map.of("model", "m", "version", "1", "selector", "", "waves", manyWaves))
        .post("/api/v1/rollouts")
        .then()
        .statusCode(anyOf(equalTo(400), equalTo(404)))
        .contentType(PROBLEM_JSON);
    String deep =
        "{\"model\": \"m\", \"version\": \"1\", \"selector\": \"\", \"waves\": "
            + "[".repeat(20_000)
            + "]".repeat(20_000)
            + "}";
    adminJson()
        .body(deep)
        .post("/api/v1/rollouts")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    adminJson()
        .body(Map.of("model", "m", "version", "1", "selector", "x".repeat(30_000_000)))
        .post("/api/v1/rollouts")
        .then()
        .statusCode(anyOf(equalTo(400), equalTo(413)));
    adminJson()
        .body(Map.of("model", "m'; drop table rollouts; --", "version", "1", "selector", ""))
        .post("/api/v1/rollouts")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON);
    assertEquals(before, Db.snapshot());
  }
}
