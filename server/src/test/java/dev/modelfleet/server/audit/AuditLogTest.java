package dev.modelfleet.server.audit;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.access.ApiClients.Client;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AuditLogTest {

  @Test
  void changeIsRecordedWithWhoWhatWhenWhere() {
    Instant before = Instant.now().minusSeconds(1);
    Client operator = ApiClients.create("operator");
    String model = Api.unique("model");
    String id =
        operator
            .json()
            .body(Map.of("name", model, "description", "audited"))
            .post("/api/v1/models")
            .then()
            .statusCode(201)
            .extract()
            .path("id");

    Map<String, Object> entry = only(operator.name());
    assertEquals("operator", entry.get("role"));
    assertEquals("POST", entry.get("method"));
    assertEquals("/api/v1/models", entry.get("path"));
    assertEquals(201, entry.get("status"));
    assertEquals(1, entry.get("count"));
    assertEquals("success", entry.get("outcome"));
    assertEquals(id, entry.get("resourceId"));
    assertEquals(Map.of("name", model, "description", "audited"), entry.get("requestBody"));
    assertNotNull(entry.get("remoteAddress"));
    assertTrue(Instant.parse((String) entry.get("at")).isAfter(before));

    operator
        .json()
        .body(Map.of("version", "1.0.0"))
        .post("/api/v1/models/" + model + "/versions")
        .then()
        .statusCode(201);
    List<Map<String, Object>> entries = entries(operator.name());
    assertEquals(2, entries.size());
    assertEquals("name=" + model, entries.get(0).get("target"), "newest first");
  }

  @Test
  void refusedChangesAreRecorded() {
    Client viewer = ApiClients.create("viewer");
    viewer
        .json()
        .body(Map.of("name", Api.unique("model")))
        .post("/api/v1/models")
        .then()
        .statusCode(403);
    Map<String, Object> forbidden = only(viewer.name());
    assertEquals(403, forbidden.get("status"));
    assertEquals("forbidden", forbidden.get("outcome"));
    assertEquals("viewer", forbidden.get("role"));

    long lastId = lastId();
    String path = "/api/v1/models/" + Api.unique("nobody") + "/versions";
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("version", "1"))
        .post(path)
        .then()
        .statusCode(401);
    // counted per address and written once per window (1 s in tests)
    Eventually.within(
        Duration.ofSeconds(10),
        () -> {
          Map<String, Object> unauthenticated =
              entries(null).stream()
                  .filter(
                      e -> ((Number) e.get("id")).longValue() > lastId && e.get("actor") == null)
                  .findFirst()
                  .orElseThrow(() -> new AssertionError("no unauthenticated entry yet"));
          assertEquals(401, unauthenticated.get("status"));
          assertEquals("unauthenticated", unauthenticated.get("outcome"));
          assertTrue((Integer) unauthenticated.get("count") >= 1);
          assertNotNull(unauthenticated.get("remoteAddress"));
        });

    Client operator = ApiClients.create("operator");
    operator.json().body(Map.of("name", "Not Valid")).post("/api/v1/models").then().statusCode(400);
    Map<String, Object> rejected = only(operator.name());
    assertEquals("rejected", rejected.get("outcome"));
    assertEquals(Map.of("name", "Not Valid"), rejected.get("requestBody"));
    assertNull(rejected.get("resourceId"));
  }

  @Test
  void readsAreNotRecorded() {
    Client viewer = ApiClients.create("viewer");
    viewer.call().get("/api/v1/models").then().statusCode(200);
    assertEquals(0, entries(viewer.name()).size());
  }

  @Test
  void createdSecretsNeverReachTheLog() throws SQLException {
    String apiSecret = ApiClients.create("viewer").secret();
    String enrollmentSecret =
        adminJson()
            .body(Map.of("name", Api.unique("enroll")))
            .post("/api/v1/enrollment-tokens")
            .then()
            .statusCode(201)
            .extract()
            .path("token");
    try (Connection c = dataSource().getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "select count(*) from audit_log a where a::text like ? or a::text like ?")) {
      s.setString(1, "%" + apiSecret.substring(4) + "%");
      s.setString(2, "%" + enrollmentSecret + "%");
      try (ResultSet r = s.executeQuery()) {
        r.next();
        assertEquals(0, r.getLong(1));
      }
    }
  }

  @Test
  void logCannotBeRewritten() throws SQLException {
    ApiClients.create("viewer");
    // the trigger holds even for the schema's owner (the role migrations run as)
    try (Connection c = asSchemaOwner();
        Statement s = c.createStatement()) {
      SQLException update =
          assertThrows(
              SQLException.class, () -> s.executeUpdate("update audit_log set actor = 'mallory'"));
      assertTrue(update.getMessage().contains("append-only"), update.getMessage());
      assertThrows(SQLException.class, () -> s.executeUpdate("delete from audit_log"));
      assertThrows(SQLException.class, () -> s.executeUpdate("truncate audit_log"));
      try (ResultSet r = s.executeQuery("select count(*) from audit_log where actor = 'mallory'")) {
        r.next();
        assertEquals(0, r.getLong(1));
      }
    }
  }

  @Test
  void theServersOwnDatabaseRoleCanNeitherRewriteTheLogNorDropItsProtection() throws SQLException {
    ApiClients.create("viewer");
    long entries = auditRows();
    try (Connection c = dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String statement :
          List.of(
              "drop trigger audit_log_no_update_or_delete on audit_log",
              "alter table audit_log disable trigger audit_log_no_update_or_delete",
              "alter table audit_log add column note text",
              "drop table audit_log",
              "create or replace function audit_log_append_only() returns trigger language plpgsql"
                  + " as $$ begin return old; end $$",
              "delete from audit_log",
              "update audit_log set actor = 'mallory'",
              "truncate audit_log")) {
        SQLException refused =
            assertThrows(
                SQLException.class,
                () -> s.execute(statement),
                "the server's role may not: " + statement);
        assertTrue(
            refused.getMessage().contains("must be owner")
                || refused.getMessage().contains("permission denied"),
            statement + ": " + refused.getMessage());
      }
      // what it needs, it has: the API above wrote entries, and reads them back
      try (ResultSet r = s.executeQuery("select count(*) from audit_log")) {
        r.next();
        assertEquals(entries, r.getLong(1));
      }
    }
    try (Connection c = asSchemaOwner();
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "select count(*) from pg_trigger"
                    + " where tgrelid = 'audit_log'::regclass and tgenabled <> 'D' and not tgisinternal")) {
      r.next();
      assertEquals(2, r.getLong(1), "both append-only triggers are still there and enabled");
    }
  }

  private static long auditRows() throws SQLException {
    try (Connection c = asSchemaOwner();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("select count(*) from audit_log")) {
      r.next();
      return r.getLong(1);
    }
  }

  /** The role Flyway migrates as, which owns the tables: not the server's. */
  private static Connection asSchemaOwner() throws SQLException {
    var config = ConfigProvider.getConfig();
    return DriverManager.getConnection(
        config.getValue("quarkus.datasource.jdbc.url", String.class),
        config.getValue("quarkus.flyway.username", String.class),
        config.getValue("quarkus.flyway.password", String.class));
  }

  @Test
  void auditApiIsAdminOnlyAndChecksItsParameters() {
    ApiClients.create("operator")
        .call()
        .get("/api/v1/audit")
        .then()
        .statusCode(403)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("forbidden"));
    ApiClients.create("viewer").call().get("/api/v1/audit").then().statusCode(403);
    given().get("/api/v1/audit").then().statusCode(401);
    admin()
        .queryParam("since", "yesterday")
        .get("/api/v1/audit")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-request"));
    for (String limit : new String[] {"0", "1001", "many"}) {
      admin().queryParam("limit", limit).get("/api/v1/audit").then().statusCode(400);
    }
    admin()
        .queryParam("limit", 1)
        .queryParam("since", Instant.now().minusSeconds(60).toString())
        .get("/api/v1/audit")
        .then()
        .statusCode(200);
  }

  @Test
  void sinceAndLimitNarrowTheAnswer() {
    Client operator = ApiClients.create("operator");
    for (int i = 0; i < 3; i++) {
      operator
          .json()
          .body(Map.of("name", Api.unique("model")))
          .post("/api/v1/models")
          .then()
          .statusCode(201);
    }
    List<Map<String, Object>> all = entries(operator.name());
    assertEquals(3, all.size());
    JsonPath two =
        admin()
            .queryParam("actor", operator.name())
            .queryParam("limit", 2)
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertEquals(2, two.getList("$").size());
    assertEquals(all.get(0).get("id"), two.get("[0].id"));
    Instant future = Instant.now().plusSeconds(3600);
    assertEquals(
        0,
        admin()
            .queryParam("actor", operator.name())
            .queryParam("since", future.toString())
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("$")
            .size());
    assertFalse(all.stream().anyMatch(e -> e.get("actor") == null));
  }

  static long lastId() {
    try (Connection c = dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("select coalesce(max(id), 0) from audit_log")) {
      r.next();
      return r.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> only(String actor) {
    List<Map<String, Object>> entries = entries(actor);
    assertEquals(1, entries.size(), "entries of " + actor + ": " + entries);
    return entries.get(0);
  }

  private static List<Map<String, Object>> entries(String actor) {
    var request = admin().queryParam("limit", 1000);
    if (actor != null) {
      request = request.queryParam("actor", actor);
    }
    return request.get("/api/v1/audit").then().statusCode(200).extract().jsonPath().getList("$");
  }

  private static AgroalDataSource dataSource() {
    return Arc.container().instance(AgroalDataSource.class).get();
  }
}
