package dev.modelfleet.server.enrollment;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class EnrollmentTokenResourceTest {

  @Test
  void createReturnsSecretOnceAndListShowsMetadataOnly() {
    String name = Api.unique("line-3");
    var created =
        adminJson()
            .body(
                Map.of(
                    "name",
                    name,
                    "labels",
                    Map.of("site", "plant-1"),
                    "maxUses",
                    3,
                    "expiresInSeconds",
                    600))
            .post("/api/v1/enrollment-tokens")
            .then()
            .statusCode(201)
            .body("token", notNullValue())
            .body("enrollmentToken.name", equalTo(name))
            .body("enrollmentToken.labels.site", equalTo("plant-1"))
            .body("enrollmentToken.maxUses", equalTo(3))
            .body("enrollmentToken.uses", equalTo(0))
            .body("enrollmentToken.state", equalTo("active"))
            .extract()
            .jsonPath();
    String id = created.getString("enrollmentToken.id");

    Map<String, Object> listed = listed(id);
    assertFalse(listed.containsKey("token"), "the secret is shown once, at creation");
    assertFalse(listed.containsKey("secretHash"));
  }

  @Test
  void expiresAtIsAccepted() {
    adminJson()
        .body(Map.of("name", Api.unique("t"), "expiresAt", "2099-01-01T00:00:00Z"))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(201)
        .body("enrollmentToken.expiresAt", equalTo("2099-01-01T00:00:00Z"))
        .body("enrollmentToken.maxUses", equalTo(1));
  }

  @Test
  void revokeIsIdempotentAndDeleteRevokesToo() {
    String id =
        adminJson()
            .body(Map.of("name", Api.unique("t")))
            .post("/api/v1/enrollment-tokens")
            .then()
            .statusCode(201)
            .extract()
            .path("enrollmentToken.id");
    admin()
        .post("/api/v1/enrollment-tokens/" + id + "/revoke")
        .then()
        .statusCode(200)
        .body("state", equalTo("revoked"))
        .body("revokedAt", notNullValue());
    admin()
        .delete("/api/v1/enrollment-tokens/" + id)
        .then()
        .statusCode(200)
        .body("state", equalTo("revoked"));
  }

  @Test
  void badInputIsRefusedAndStoresNothing() {
    var before = Db.snapshot();
    adminJson()
        .body("{\"name\": \"x\",")
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("malformed-json"));
    adminJson()
        .body("{\"name\": \"x\", \"maxUses\": \"many\"}")
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("malformed-json"));
    admin()
        .contentType("text/plain")
        .body("name=x")
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(415)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unsupported-media-type"));
    adminJson()
        .body(Map.of("labels", Map.of()))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    adminJson()
        .body(Map.of("name", "x", "maxUses", 0))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    adminJson()
        .body(Map.of("name", "x", "expiresInSeconds", -5))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    adminJson()
        .body(Map.of("name", "x", "labels", Map.of("bad key!", "v")))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-labels"));
    adminJson().post("/api/v1/enrollment-tokens").then().statusCode(400).contentType(PROBLEM_JSON);
    assertEquals(before, Db.snapshot());
  }

  @Test
  void revokingUnknownTokenIsNotFound() {
    admin()
        .post("/api/v1/enrollment-tokens/" + UUID.randomUUID() + "/revoke")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("not-found"));
    admin()
        .post("/api/v1/enrollment-tokens/not-a-uuid/revoke")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
  }

  @Test
  void listNeverShowsRevokedAtForActiveTokens() {
    String id =
        adminJson()
            .body(Map.of("name", Api.unique("t")))
            .post("/api/v1/enrollment-tokens")
            .then()
            .statusCode(201)
            .extract()
            .path("enrollmentToken.id");
    assertNull(listed(id).get("revokedAt"));
  }

  /** The token as the list shows it, found on whichever page it is. */
  private static Map<String, Object> listed(String id) {
    return Api.listAll("/api/v1/enrollment-tokens", 1000).stream()
        .filter(t -> id.equals(t.get("id")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("token " + id + " is not listed"));
  }
}
