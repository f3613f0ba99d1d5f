package dev.modelfleet.server.common;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Odd but well-formed JSON gets a 4xx problem and stores nothing, never a 500. */
@QuarkusTest
class BadInputTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"name\": \"t\", \"expiresInSeconds\": 9223372036854775807}",
        "{\"name\": \"t\", \"expiresInSeconds\": 99999999999999}",
        "{\"name\": \"t\", \"expiresAt\": \"+1000000000-01-01T00:00:00Z\"}",
        "{\"name\": \"t\", \"expiresAt\": \"9999-12-31T23:59:59Z\"}",
        "{\"name\": \"t\", \"maxUses\": 99999999999}",
        "{\"name\": \"nul\\u0000byte\"}",
        "{\"name\": \"t\", \"labels\": {\"site\": \"a\\u0000b\"}}",
      })
  void enrollmentTokenBodiesAreRefusedCleanly(String body) {
    Map<String, Object> before = Db.snapshot();
    int status =
        adminJson().body(body).post("/api/v1/enrollment-tokens").then().extract().statusCode();
    if (status == 201) {
      return; // accepted as a valid token is fine too, as long as it is not a 500
    }
    adminJson()
        .body(body)
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    assertEquals(before, Db.snapshot());
  }

  @org.junit.jupiter.api.Test
  void deeplyNestedAndInvalidUtf8BodiesAreMalformedJson() {
    Map<String, Object> before = Db.snapshot();
    String deep = "{\"name\": \"t\", \"labels\": " + "[".repeat(5000) + "]".repeat(5000) + "}";
    adminJson()
        .body(deep)
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    byte[] invalidUtf8 = {
      '{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'
    };
    adminJson()
        .body(invalidUtf8)
        .post("/api/v1/models")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    adminJson()
        .body("{\"name\": \"t\", \"maxUses\": 1e400}")
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    adminJson()
        .body(Map.of("labels", Map.of("k", "v".repeat(100_000))))
        .put("/api/v1/devices/" + java.util.UUID.randomUUID() + "/labels")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    dev.modelfleet.server.support.Api.admin()
        .queryParam("status", "x\u0000")
        .get("/api/v1/devices")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    dev.modelfleet.server.support.Api.admin()
        .queryParam("selector", "a in ((b))")
        .get("/api/v1/devices")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON);
    assertEquals(before, Db.snapshot());
  }
}
