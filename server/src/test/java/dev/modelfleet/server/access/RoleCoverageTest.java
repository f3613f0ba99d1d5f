package dev.modelfleet.server.access;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every admin endpoint, as the server's own OpenAPI document lists them, called by every kind of
 * caller. The expected table is explicit: an endpoint added without an entry here fails the test,
 * and so does an entry whose endpoint no longer exists. A refused call must be a 401 or 403 problem
 * and must change nothing stored, even when its target exists and its body is valid.
 */
@QuarkusTest
class RoleCoverageTest {

  /** Who may call an endpoint. */
  enum Access {
    /** Every role. */
    READ,
    /** Admin and operator: changes to the fleet. */
    OPERATE,
    /** Admin only: access management, the audit log, the replica's own switches. */
    ADMIN
  }

  private static final Map<String, Access> EXPECTED = new TreeMap<>();

  static {
    // access management, audit, the replica itself
    expect(
        Access.ADMIN,
        "GET /api/v1/access/tokens",
        "POST /api/v1/access/tokens",
        "POST /api/v1/access/tokens/{id}/revoke",
        "GET /api/v1/audit",
        "GET /api/v1/system/ingest",
        "POST /api/v1/system/ingest/reset",
        "POST /api/v1/system/artifacts/gc",
        "POST /api/v1/trust/root/rotate",
        "POST /api/v1/trust/root/drafts",
        "POST /api/v1/trust/root/draft/signatures",
        "DELETE /api/v1/trust/root/draft");
    // reads
    expect(
        Access.READ,
        "GET /api/v1/trust/root",
        "GET /api/v1/trust/root.pem",
        "GET /api/v1/trust/root/draft",
        "GET /api/v1/trust/fleet-ca.pem",
        "GET /api/v1/models",
        "GET /api/v1/models/{name}",
        "GET /api/v1/models/{name}/versions/{version}",
        "GET /api/v1/models/{name}/versions/{version}/variants/{variantId}/manifest",
        "GET /api/v1/models/{name}/versions/{version}/variants/{variantId}/file",
        "GET /api/v1/models/{name}/versions/{version}/trials",
        "GET /api/v1/models/{name}/versions/{version}/deltas",
        "GET /api/v1/models/{name}/versions/{version}/compressions",
        "GET /api/v1/trials/{id}",
        "GET /api/v1/devices",
        "GET /api/v1/devices/{id}",
        "GET /api/v1/devices/{id}/history",
        "GET /api/v1/devices/{id}/match",
        "GET /api/v1/enrollment-tokens",
        "GET /api/v1/download-policies",
        "GET /api/v1/download-policies/{id}",
        "GET /api/v1/hardware-classes",
        "GET /api/v1/hardware-classes/{id}",
        "GET /api/v1/rollouts",
        "GET /api/v1/rollouts/{id}",
        "GET /api/v1/bundles/{id}",
        "GET /api/v1/rollouts/{id}/devices",
        "GET /api/v1/rollouts/stream",
        "GET /api/v1/rollouts/{id}/stream",
        "GET /api/v1/models/{name}/derivation-policy",
        "GET /api/v1/models/{name}/versions/{version}/derivations",
        "GET /api/v1/models/{name}/versions/{version}/derivations/{jobId}",
        "GET /api/v1/models/{name}/versions/{version}/derivations/{jobId}/variants/{kind}/file");
    // changes to the fleet
    expect(
        Access.OPERATE,
        "POST /api/v1/models",
        "POST /api/v1/models/{name}/versions",
        "POST /api/v1/models/{name}/versions/{version}/revoke",
        "POST /api/v1/models/{name}/versions/{version}/variants",
        "POST /api/v1/models/{name}/versions/{version}/assignments",
        "POST /api/v1/models/{name}/versions/{version}/trials",
        "PUT /api/v1/devices/{id}/labels",
        "POST /api/v1/devices/{id}/decommission",
        "POST /api/v1/devices/{id}/approve",
        "POST /api/v1/devices/{id}/reject",
        "POST /api/v1/devices/{id}/benchmark",
        "POST /api/v1/enrollment-tokens",
        "POST /api/v1/enrollment-tokens/{id}/revoke",
        "DELETE /api/v1/enrollment-tokens/{id}",
        "POST /api/v1/download-policies",
        "PUT /api/v1/download-policies/{id}",
        "DELETE /api/v1/download-policies/{id}",
        "POST /api/v1/rollouts",
        "POST /api/v1/bundles",
        "POST /api/v1/rollouts/{id}/start",
        "POST /api/v1/rollouts/{id}/pause",
        "POST /api/v1/rollouts/{id}/resume",
        "POST /api/v1/rollouts/{id}/abort",
        "POST /api/v1/rollouts/{id}/rollback",
        "POST /api/v1/rollouts/{id}/approve",
        "POST /api/v1/models/{name}/versions/{version}/derivations",
        "POST /api/v1/models/{name}/versions/{version}/derivation-samples",
        "PUT /api/v1/models/{name}/derivation-policy",
        "DELETE /api/v1/models/{name}/derivation-policy");
  }

  private static void expect(Access access, String... endpoints) {
    for (String endpoint : endpoints) {
      EXPECTED.put(endpoint, access);
    }
  }

  private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");
  private static final List<String> METHODS =
      List.of("get", "put", "post", "delete", "patch", "head");

  /** A caller: a name for messages, and how it authenticates (null: no Authorization at all). */
  record Caller(String name, String header, String role, boolean authenticated) {}

  @Test
  void everyEndpointIsInTheTableAndEveryRoleGetsWhatTheTableSays() throws Exception {
    Map<String, Access> documented = documentedEndpoints();
    TreeSet<String> unlisted = new TreeSet<>(documented.keySet());
    unlisted.removeAll(EXPECTED.keySet());
    TreeSet<String> stale = new TreeSet<>(EXPECTED.keySet());
    stale.removeAll(documented.keySet());
    assertTrue(
        unlisted.isEmpty() && stale.isEmpty(),
        "endpoints missing from EXPECTED: "
            + unlisted
            + "; entries in EXPECTED that /q/openapi does not list: "
            + stale);

    Targets targets = new Targets();
    List<Caller> callers = callers();
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Access> endpoint : EXPECTED.entrySet()) {
      String method = endpoint.getKey().substring(0, endpoint.getKey().indexOf(' '));
      String template = endpoint.getKey().substring(method.length() + 1);
      for (Caller caller : callers) {
        boolean allowed = caller.authenticated() && allows(endpoint.getValue(), caller.role());
        if (allowed) {
          // aimed at targets that do not exist, so that allowed calls change no fixture
          int status =
              template.endsWith("/stream")
                  ? streamStatus(caller, targets.absent(template))
                  : call(caller, method, targets.absent(template), template).statusCode();
          if (status == 401 || status == 403) {
            wrong.add(
                endpoint.getKey() + " as " + caller.name() + ": " + status + ", expected allowed");
          }
          continue;
        }
        // aimed at real targets with a body that would work, so that a leak would show
        Map<String, Object> before = snapshot();
        Response response = call(caller, method, targets.real(template), template);
        int expected = caller.authenticated() ? 403 : 401;
        if (response.statusCode() != expected
            || !String.valueOf(response.contentType()).startsWith(PROBLEM_JSON)
            || !(expected == 401 ? "unauthenticated" : "forbidden").equals(response.path("code"))) {
          wrong.add(
              endpoint.getKey()
                  + " as "
                  + caller.name()
                  + ": "
                  + response.statusCode()
                  + " "
                  + response.contentType()
                  + ", expected "
                  + expected
                  + " problem");
        }
        Map<String, Object> after = snapshot();
        if (!before.equals(after)) {
          wrong.add(
              endpoint.getKey()
                  + " as "
                  + caller.name()
                  + " changed stored data: "
                  + before
                  + " -> "
                  + after);
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  private static boolean allows(Access access, String role) {
    return switch (access) {
      case READ -> true;
      case OPERATE -> !role.equals("viewer");
      case ADMIN -> role.equals("admin");
    };
  }

  /** admin (bootstrap and token), operator, viewer; none, garbage, expired, revoked. */
  private static List<Caller> callers() {
    ApiClients.Client adminToken = ApiClients.create("admin");
    ApiClients.Client operator = ApiClients.create("operator");
    ApiClients.Client viewer = ApiClients.create("viewer");
    ApiClients.Client expired = ApiClients.create("admin");
    Db.execute(
        "update api_tokens set expires_at = now() - interval '1 minute' where id = ?",
        UUID.fromString(expired.id()));
    ApiClients.Client revoked = ApiClients.create("admin");
    Api.admin().post("/api/v1/access/tokens/" + revoked.id() + "/revoke").then().statusCode(200);
    return List.of(
        new Caller("configured admin token", "Bearer " + Api.ADMIN_TOKEN, "admin", true),
        new Caller("admin token", "Bearer " + adminToken.secret(), "admin", true),
        new Caller("operator", "Bearer " + operator.secret(), "operator", true),
        new Caller("viewer", "Bearer " + viewer.secret(), "viewer", true),
        new Caller("no token", null, null, false),
        new Caller("unknown token", "Bearer mft_" + "0".repeat(43), null, false),
        new Caller("expired admin token", "Bearer " + expired.secret(), null, false),
        new Caller("revoked admin token", "Bearer " + revoked.secret(), null, false));
  }

  /**
   * The status of an event stream's answer, read from its headers alone: an allowed caller's stream
   * stays open, which a call that waits for the whole body would wait on forever.
   */
  private static int streamStatus(Caller caller, String path) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + path))
            .header("Accept", "text/event-stream")
            .timeout(Duration.ofSeconds(30));
    if (caller.header() != null) {
      request.header("Authorization", caller.header());
    }
    HttpResponse<InputStream> response =
        HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    response.body().close();
    return response.statusCode();
  }

  private static Response call(Caller caller, String method, String path, String template) {
    RequestSpecification request = given().redirects().follow(false);
    if (caller.header() != null) {
      request.header("Authorization", caller.header());
    }
    if (method.equals("POST") || method.equals("PUT")) {
      if (template.startsWith("/api/v1/trust/")
          && caller.authenticated()
          && allows(Access.ADMIN, caller.role())) {
        // an admin's call would really rotate the fleet's root: send one the server refuses
        // (400) after the role check, since this test asserts only that the role passes
        request
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "thresholds",
                    Map.of("director", 99),
                    "version",
                    -1,
                    "rootKeys",
                    List.of("not a key")));
      } else if (template.endsWith("/variants")) {
        request
            .contentType("application/octet-stream")
            .body(new byte[] {1, 2, 3})
            .queryParam("precision", "fp32")
            .queryParam("executionProvider", "cpu");
      } else if (template.endsWith("/derivation-samples")) {
        // not a NumPy file: an allowed caller is refused after the role check (422)
        request.contentType("application/octet-stream").body(new byte[] {1, 2, 3});
      } else {
        request.contentType(ContentType.JSON).body(body(template));
      }
    }
    return request.request(method, path);
  }

  /** A body the endpoint would accept, where it takes one. */
  private static Map<String, Object> body(String template) {
    return switch (template) {
      case "/api/v1/access/tokens" -> Map.of("name", Api.unique("leak"), "role", "admin");
      case "/api/v1/models" -> Map.of("name", Api.unique("leak"));
      case "/api/v1/models/{name}/versions" -> Map.of("version", "9.9.9");
      case "/api/v1/enrollment-tokens" -> Map.of("name", Api.unique("leak"));
      case "/api/v1/download-policies" ->
          Map.of("name", Api.unique("leak"), "selector", "leaked=yes", "rateBytesPerSecond", 1);
      case "/api/v1/devices/{id}/labels" -> Map.of("labels", Map.of("leaked", "yes"));
      case "/api/v1/trust/root/rotate" -> Map.of("rotate", List.of("director"));
      case "/api/v1/models/{name}/versions/{version}/derivations",
          "/api/v1/models/{name}/derivation-policy" ->
          Map.of("kinds", List.of("fp16"));
      default -> Map.of();
    };
  }

  /** The endpoints under /api that the OpenAPI document lists, as "METHOD path". */
  private static Map<String, Access> documentedEndpoints() throws Exception {
    String json =
        given()
            .queryParam("format", "json")
            .get("/q/openapi")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    JsonNode paths = new ObjectMapper().readTree(json).path("paths");
    Map<String, Access> endpoints = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> path = it.next();
      if (!path.getKey().startsWith("/api/")) {
        continue; // agent endpoints take a device credential; see DeviceCredentialTest
      }
      for (String method : METHODS) {
        if (path.getValue().has(method)) {
          endpoints.put(method.toUpperCase() + " " + path.getKey(), null);
        }
      }
    }
    return endpoints;
  }

  /** Row counts everywhere, and the content of the rows API calls change. */
  private static Map<String, Object> snapshot() {
    Map<String, Object> state = new LinkedHashMap<>(Db.snapshot());
    String[] contents = {
      "select id, name, labels, status, decommissioned_at, approval_decided_at from devices",
      "select id, name, labels, revoked_at, uses from enrollment_tokens",
      "select id, name, role, expires_at, revoked_at from api_tokens",
      "select * from models",
      "select * from model_versions",
      "select id from variants",
      "select * from desired_models",
      "select device_id, generation from device_desired_states",
      "select id, state from derivation_jobs",
      "select * from derivation_policies",
    };
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      for (String query : contents) {
        try (ResultSet r =
            s.executeQuery(
                "select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from ("
                    + query
                    + ") t")) {
          r.next();
          state.put(query, r.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return state;
  }

  /** Path parameters: real ones for refused calls, absent ones for allowed calls. */
  static final class Targets {
    final Map<String, String> real = new TreeMap<>();

    Targets() throws Exception {
      Fixtures.Published published = Fixtures.publishedClassifier(9301);
      real.put("name", published.model());
      real.put("version", published.version());
      real.put("variantId", published.variantId());
      try (AgentClient agent = new AgentClient()) {
        // pending, so that a leaked approve, reject, decommission or label change would show
        String token =
            Api.adminJson()
                .body(Map.of("name", Api.unique("target"), "requireApproval", true))
                .post("/api/v1/enrollment-tokens")
                .then()
                .statusCode(201)
                .extract()
                .path("token");
        EnrollResponse device = agent.enroll(token);
        real.put("device", device.getDeviceId());
      }
      real.put(
          "enrollment-token",
          Fixtures.enrollmentTokenCreated(Map.of(), 1).getString("enrollmentToken.id"));
      real.put("access-token", ApiClients.create("viewer").id());
    }

    String real(String template) {
      return fill(template, true);
    }

    String absent(String template) {
      return fill(template, false);
    }

    private String fill(String template, boolean existing) {
      Matcher m = PARAM.matcher(template);
      StringBuilder path = new StringBuilder();
      while (m.find()) {
        String value =
            switch (m.group(1)) {
              case "name" -> existing ? real.get("name") : "absent-model";
              case "version" -> existing ? real.get("version") : "0.0.1";
              case "variantId" -> existing ? real.get("variantId") : UUID.randomUUID().toString();
              case "id" -> existing ? idFor(template) : UUID.randomUUID().toString();
              default -> "x";
            };
        m.appendReplacement(path, Matcher.quoteReplacement(value));
      }
      m.appendTail(path);
      return path.toString();
    }

    private String idFor(String template) {
      if (template.startsWith("/api/v1/devices")) {
        return real.get("device");
      }
      if (template.startsWith("/api/v1/enrollment-tokens")) {
        return real.get("enrollment-token");
      }
      if (template.startsWith("/api/v1/access")) {
        return real.get("access-token");
      }
      return UUID.randomUUID().toString();
    }
  }
}
