package dev.modelfleet.server.audit;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.access.ApiClients.Client;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Audit entries say what the changed resource looked like before and after the call. */
@QuarkusTest
class AuditBeforeAfterTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject AuditedResources resources;

  @Test
  void aLabelChangeShowsTheOldAndTheNewLabels() throws Exception {
    Client operator = ApiClients.create("operator");
    String device = enroll(Map.of("site", "old"), false);
    operator
        .json()
        .body(Map.of("labels", Map.of("site", "new", "rack", "7")))
        .put("/api/v1/devices/" + device + "/labels")
        .then()
        .statusCode(200);

    JsonNode entry = latest(operator.name());
    assertEquals(JSON.readTree("{\"site\":\"old\"}"), entry.at("/before/labels"));
    assertEquals(JSON.readTree("{\"site\":\"new\",\"rack\":\"7\"}"), entry.at("/after/labels"));
    assertEquals(device, entry.at("/before/id").asText());
    assertEquals(device, entry.at("/after/id").asText());
    assertTrue(entry.path("after").path("status").isMissingNode(), "unchanged fields are left out");
  }

  @Test
  void aRevocationShowsRevokedAtGoingFromNullToSet() throws Exception {
    Client operator = ApiClients.create("operator");
    String model = Fixtures.modelWithVersion("1.0.0");
    operator
        .json()
        .body(Map.of("reason", "bad accuracy"))
        .post("/api/v1/models/" + model + "/versions/1.0.0/revoke")
        .then()
        .statusCode(200);
    JsonNode entry = latest(operator.name());
    assertTrue(entry.at("/before/revokedAt").isNull(), entry.toString());
    assertFalse(entry.at("/after/revokedAt").isNull(), entry.toString());
    assertFalse(entry.at("/after/revokedAt").isMissingNode(), entry.toString());
    assertEquals(model, entry.at("/after/model").asText());

    String token = Fixtures.enrollmentTokenCreated(Map.of(), 1).getString("enrollmentToken.id");
    operator.call().post("/api/v1/enrollment-tokens/" + token + "/revoke").then().statusCode(200);
    JsonNode revoked = latest(operator.name());
    assertTrue(revoked.at("/before/revokedAt").isNull(), revoked.toString());
    assertFalse(revoked.at("/after/revokedAt").isNull(), revoked.toString());
  }

  @Test
  void approvalAndAssignmentShowWhatMoved() throws Exception {
    Client operator = ApiClients.create("operator");
    String device = enroll(Map.of(), true);
    operator.call().post("/api/v1/devices/" + device + "/approve").then().statusCode(200);
    JsonNode approval = latest(operator.name());
    assertEquals("pending", approval.at("/before/status").asText());
    assertEquals("active", approval.at("/after/status").asText());
    assertEquals(operator.name(), approval.at("/after/approvalDecidedBy").asText());

    Fixtures.Published published = Fixtures.publishedClassifier(9501);
    operator
        .json()
        .body(Map.of("deviceId", device))
        .post("/api/v1/models/" + published.model() + "/versions/1.0.0/assignments")
        .then()
        .statusCode(200);
    JsonNode assignment = latest(operator.name());
    assertTrue(assignment.at("/before/" + device).isNull(), assignment.toString());
    assertEquals("1.0.0", assignment.at("/after/" + device + "/version").asText());
    assertEquals(published.variantId(), assignment.at("/after/" + device + "/variantId").asText());
  }

  @Test
  void createdTokensAreSnapshottedWithoutTheirSecrets() throws Exception {
    Client admin = ApiClients.create("admin");
    String apiSecret =
        admin
            .json()
            .body(Map.of("name", Api.unique("ci"), "role", "viewer"))
            .post("/api/v1/access/tokens")
            .then()
            .statusCode(201)
            .extract()
            .path("token");
    JsonNode created = latest(admin.name());
    assertTrue(created.get("before").isNull(), "a create has no before");
    assertEquals("viewer", created.at("/after/role").asText());

    String enrollmentSecret =
        admin
            .json()
            .body(Map.of("name", Api.unique("site")))
            .post("/api/v1/enrollment-tokens")
            .then()
            .statusCode(201)
            .extract()
            .path("token");
    JsonNode enrollment = latest(admin.name());
    assertEquals(1, enrollment.at("/after/maxUses").asInt());

    String log = admin().queryParam("actor", admin.name()).get("/api/v1/audit").asString();
    assertFalse(log.contains(apiSecret), "the API token's secret is in the audit log");
    assertFalse(
        log.contains(enrollmentSecret), "the enrollment token's secret is in the audit log");
    assertFalse(log.toLowerCase().contains("hash"), "a secret hash is in the audit log: " + log);
  }

  @Test
  void refusedAndFailedCallsHaveNoSnapshots() throws Exception {
    String device = enroll(Map.of("site", "kept"), false);
    Client viewer = ApiClients.create("viewer");
    viewer
        .json()
        .body(Map.of("labels", Map.of("site", "stolen")))
        .put("/api/v1/devices/" + device + "/labels")
        .then()
        .statusCode(403);
    JsonNode refused = latest(viewer.name());
    assertEquals(403, refused.get("status").asInt());
    assertTrue(refused.get("before").isNull() && refused.get("after").isNull(), refused.toString());

    Client operator = ApiClients.create("operator");
    operator
        .json()
        .body(Map.of("labels", Map.of("bad key!", "x")))
        .put("/api/v1/devices/" + device + "/labels")
        .then()
        .statusCode(400);
    JsonNode failed = latest(operator.name());
    assertTrue(failed.get("before").isNull() && failed.get("after").isNull(), failed.toString());
  }

  /**
   * Every endpoint that changes something names what it changed, except the ingest reset, the
   * artifact garbage collection (it changes no resource: it removes bytes nothing names) and a
   * derivation sample upload (bytes stored under their sha256, no row; its audit entry keeps who
   * uploaded it and the id a job then names).
   */
  @Test
  void everyWriteEndpointHasASnapshotReader() throws Exception {
    JsonNode paths =
        JSON.readTree(given().queryParam("format", "json").get("/q/openapi").asString())
            .path("paths");
    List<String> unread = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> path = it.next();
      boolean writes =
          path.getValue().has("post")
              || path.getValue().has("put")
              || path.getValue().has("delete")
              || path.getValue().has("patch");
      if (path.getKey().startsWith("/api/")
          && writes
          && !resources.audits(path.getKey())
          && !path.getKey().equals("/api/v1/system/ingest/reset")
          && !path.getKey().equals("/api/v1/system/artifacts/gc")
          && !path.getKey().endsWith("/derivation-samples")) {
        unread.add(path.getKey());
      }
    }
    assertTrue(unread.isEmpty(), "write endpoints without a snapshot reader: " + unread);
  }

  private static String enroll(Map<String, String> labels, boolean requireApproval)
      throws Exception {
    String token =
        adminJson()
            .body(
                Map.of(
                    "name",
                    Api.unique("token"),
                    "labels",
                    labels,
                    "requireApproval",
                    requireApproval))
            .post("/api/v1/enrollment-tokens")
            .then()
            .statusCode(201)
            .extract()
            .path("token");
    try (AgentClient agent = new AgentClient()) {
      EnrollResponse device = agent.enroll(token);
      return device.getDeviceId();
    }
  }

  private static JsonNode latest(String actor) throws Exception {
    JsonNode entries =
        JSON.readTree(
            admin()
                .queryParam("actor", actor)
                .queryParam("limit", 1)
                .get("/api/v1/audit")
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertNotNull(entries.get(0), "no audit entry for " + actor);
    return entries.get(0);
  }
}
