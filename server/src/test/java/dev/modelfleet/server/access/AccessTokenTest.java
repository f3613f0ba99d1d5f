package dev.modelfleet.server.access;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.server.access.ApiClients.Client;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
class AccessTokenTest {

  @Test
  void createdTokenIsShownOnceAndStoredOnlyAsHash() throws Exception {
    String name = Api.unique("ci");
    var created =
        adminJson()
            .body(Map.of("name", name, "role", "operator", "expiresInSeconds", 3600))
            .post("/api/v1/access/tokens")
            .then()
            .statusCode(201)
            .body("token", startsWith("mft_"))
            .body("apiToken.name", equalTo(name))
            .body("apiToken.role", equalTo("operator"))
            .body("apiToken.state", equalTo("active"))
            .body("apiToken.createdBy", equalTo("admin"))
            .body("apiToken.expiresAt", notNullValue())
            .extract()
            .jsonPath();
    String secret = created.getString("token");

    // Every page: the suite's other tests create more than one page of tokens, oldest first.
    var tokens = Api.listAll("/api/v1/access/tokens", 1000);
    assertTrue(tokens.stream().anyMatch(t -> name.equals(t.get("name"))), "not listed: " + name);
    String listed = tokens.toString();
    assertFalse(listed.contains(secret), "the list shows a secret");
    assertFalse(listed.contains("secretHash"), "the list shows a hash");

    String row = storedRow(created.getString("apiToken.id"));
    assertFalse(row.contains(secret), "the secret is stored in clear: " + row);
    assertFalse(row.contains(secret.substring(4)), "the secret is stored in clear: " + row);
    assertEquals(true, row.contains(Dsse.sha256Hex(secret.getBytes(StandardCharsets.UTF_8))), row);
  }

  @Test
  void viewerReadsEveryAreaButChangesNothing() {
    Client viewer = ApiClients.create("viewer");
    for (String path :
        new String[] {
          "/api/v1/models",
          "/api/v1/devices",
          "/api/v1/rollouts",
          "/api/v1/enrollment-tokens",
          "/api/v1/hardware-classes",
          "/api/v1/trust/root"
        }) {
      viewer.call().get(path).then().statusCode(200);
    }
    Map<String, Object> before = Db.snapshot();
    viewer
        .json()
        .body(Map.of("name", Api.unique("model")))
        .post("/api/v1/models")
        .then()
        .statusCode(403)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("forbidden"))
        .body("status", equalTo(403))
        .body("detail", containsString("viewer may only read"));
    viewer
        .json()
        .body(Map.of("name", "x"))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(403);
    viewer
        .json()
        .body(Map.of("model", "m", "version", "1", "selector", ""))
        .post("/api/v1/rollouts")
        .then()
        .statusCode(403);
    viewer
        .call()
        .post("/api/v1/devices/" + UUID.randomUUID() + "/decommission")
        .then()
        .statusCode(403);
    viewer.call().delete("/api/v1/enrollment-tokens/" + UUID.randomUUID()).then().statusCode(403);
    viewer
        .call()
        .get("/api/v1/access/tokens")
        .then()
        .statusCode(403)
        .body("code", equalTo("forbidden"));
    viewer.call().get("/api/v1/audit").then().statusCode(403).body("code", equalTo("forbidden"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void operatorChangesTheFleetButNotAccess() {
    Client operator = ApiClients.create("operator");
    String model = Api.unique("model");
    operator.json().body(Map.of("name", model)).post("/api/v1/models").then().statusCode(201);
    operator
        .json()
        .body(Map.of("version", "1.0.0"))
        .post("/api/v1/models/" + model + "/versions")
        .then()
        .statusCode(201);
    operator
        .json()
        .body(Map.of("name", Api.unique("enroll")))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(201);
    operator.call().get("/api/v1/models/" + model).then().statusCode(200);

    long tokens = count("api_tokens");
    operator
        .json()
        .body(Map.of("name", Api.unique("mine"), "role", "admin"))
        .post("/api/v1/access/tokens")
        .then()
        .statusCode(403)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("forbidden"))
        .body("detail", containsString("admin"));
    operator.call().get("/api/v1/access/tokens").then().statusCode(403);
    operator
        .call()
        .post("/api/v1/access/tokens/" + operator.id() + "/revoke")
        .then()
        .statusCode(403);
    operator.call().get("/api/v1/audit").then().statusCode(403);
    assertEquals(tokens, count("api_tokens"));
  }

  @Test
  void adminTokenManagesAccess() {
    Client other = ApiClients.create("admin");
    other.call().get("/api/v1/access/tokens").then().statusCode(200);
    other.call().get("/api/v1/audit").then().statusCode(200);
    Client made = ApiClients.create("viewer");
    other
        .call()
        .post("/api/v1/access/tokens/" + made.id() + "/revoke")
        .then()
        .statusCode(200)
        .body("state", equalTo("revoked"));
  }

  @Test
  void revokedTokenIsRefused() {
    Client operator = ApiClients.create("operator");
    operator.call().get("/api/v1/models").then().statusCode(200);
    admin()
        .post("/api/v1/access/tokens/" + operator.id() + "/revoke")
        .then()
        .statusCode(200)
        .body("state", equalTo("revoked"))
        .body("revokedAt", notNullValue());
    // idempotent
    admin().post("/api/v1/access/tokens/" + operator.id() + "/revoke").then().statusCode(200);
    operator
        .call()
        .get("/api/v1/models")
        .then()
        .statusCode(401)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unauthenticated"))
        .body("detail", containsString("revoked"));
  }

  @Test
  void expiredTokenIsRefused() {
    Client viewer = ApiClients.create("viewer");
    Db.execute(
        "update api_tokens set expires_at = now() - interval '1 second' where id = ?",
        UUID.fromString(viewer.id()));
    viewer
        .call()
        .get("/api/v1/models")
        .then()
        .statusCode(401)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unauthenticated"))
        .body("detail", containsString("expired"));
    admin().get("/api/v1/access/tokens").then().statusCode(200);
  }

  @Test
  void unknownTokensAreRefusedAlike() {
    String unknownApiToken =
        given()
            .header("Authorization", "Bearer mft_" + UUID.randomUUID())
            .get("/api/v1/models")
            .then()
            .statusCode(401)
            .contentType(PROBLEM_JSON)
            .body("code", equalTo("unauthenticated"))
            .extract()
            .path("detail");
    String unknownOther =
        given()
            .header("Authorization", "Bearer " + UUID.randomUUID())
            .get("/api/v1/models")
            .then()
            .statusCode(401)
            .extract()
            .path("detail");
    assertEquals(unknownOther, unknownApiToken);
  }

  @Test
  void useIsRecorded() {
    Client viewer = ApiClients.create("viewer");
    assertNull(listed(viewer.id()).get("lastUsedAt"));
    viewer.call().get("/api/v1/models").then().statusCode(200);
    assertNotNull(listed(viewer.id()).get("lastUsedAt"));
  }

  /** The token as the list shows it, on whichever page it is. */
  private static Map<String, Object> listed(String id) {
    return Api.listAll("/api/v1/access/tokens", 1000).stream()
        .filter(t -> id.equals(t.get("id")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("token " + id + " is not listed"));
  }

  @Test
  void revokingAnUnknownTokenIsNotFound() {
    admin()
        .post("/api/v1/access/tokens/" + UUID.randomUUID() + "/revoke")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("not-found"));
    admin().post("/api/v1/access/tokens/not-an-id/revoke").then().statusCode(404);
  }

  @Test
  void duplicateNameIsRefused() {
    Client first = ApiClients.create("viewer");
    long tokens = count("api_tokens");
    adminJson()
        .body(Map.of("name", first.name(), "role", "operator"))
        .post("/api/v1/access/tokens")
        .then()
        .statusCode(409)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("duplicate-name"));
    adminJson()
        .body(Map.of("name", "admin", "role", "viewer"))
        .post("/api/v1/access/tokens")
        .then()
        .statusCode(409)
        .body("code", equalTo("duplicate-name"));
    assertEquals(tokens, count("api_tokens"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"name\": \"%s\", \"role\": \"superuser\"}",
        "{\"name\": \"%s\", \"role\": \"Admin\"}",
        "{\"name\": \"%s\"}",
        "{\"name\": \"%s\", \"role\": \"viewer\", \"expiresInSeconds\": -5}",
        "{\"name\": \"%s\", \"role\": \"viewer\", \"expiresInSeconds\": 0}",
        "{\"name\": \"%s\", \"role\": \"viewer\", \"expiresInSeconds\": 99999999999999}",
        "{\"name\": \"%s\", \"role\": \"viewer\", \"expiresInSeconds\": \"soon\"}",
        "{\"name\": \"Not A Name %s\", \"role\": \"viewer\"}",
        "{\"role\": \"viewer\"}",
        "{\"name\": \"%s\", \"role\": \"viewer\"",
      })
  void badInputIsRefusedAndStoresNothing(String template) {
    long tokens = count("api_tokens");
    adminJson()
        .body(template.formatted(Api.unique("bad")))
        .post("/api/v1/access/tokens")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", not(equalTo("internal-error")));
    assertEquals(tokens, count("api_tokens"));
  }

  @Test
  void missingBodyIsRefused() {
    adminJson().post("/api/v1/access/tokens").then().statusCode(400).contentType(PROBLEM_JSON);
  }

  static long count(String table) {
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement("select count(*) from " + table);
        ResultSet r = s.executeQuery()) {
      r.next();
      return r.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String storedRow(String id) throws Exception {
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement("select t::text from api_tokens t where id = ?")) {
      s.setObject(1, UUID.fromString(id));
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getString(1);
      }
    }
  }
}
