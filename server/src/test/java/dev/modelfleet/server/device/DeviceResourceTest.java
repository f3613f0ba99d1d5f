package dev.modelfleet.server.device;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class DeviceResourceTest {

  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void listBySelectorAndStatus() throws Exception {
    String site = Api.unique("site");
    String a =
        agent
            .enroll(Fixtures.enrollmentToken(Map.of("site", site, "tier", "edge"), 1))
            .getDeviceId();
    String b =
        agent
            .enroll(Fixtures.enrollmentToken(Map.of("site", site, "tier", "core"), 1))
            .getDeviceId();

    admin()
        .queryParam("selector", "site=" + site)
        .get("/api/v1/devices")
        .then()
        .statusCode(200)
        .body("id", contains(a, b));
    admin()
        .queryParam("selector", "site=" + site + ",tier notin (core)")
        .get("/api/v1/devices")
        .then()
        .statusCode(200)
        .body("id", contains(a));
    admin().post("/api/v1/devices/" + b + "/decommission").then().statusCode(200);
    admin()
        .queryParam("selector", "site==" + site)
        .queryParam("status", "active")
        .get("/api/v1/devices")
        .then()
        .statusCode(200)
        .body("id", contains(a));
    admin()
        .queryParam("selector", "site=" + site)
        .queryParam("status", "decommissioned")
        .get("/api/v1/devices")
        .then()
        .statusCode(200)
        .body("id", contains(b));
  }

  @Test
  void detailsShowProfileAndLabels() throws Exception {
    String id = agent.enroll(Fixtures.enrollmentToken(Map.of("site", "lab"), 1)).getDeviceId();
    admin()
        .get("/api/v1/devices/" + id)
        .then()
        .statusCode(200)
        .body("id", equalTo(id))
        .body("status", equalTo("active"))
        .body("labels.site", equalTo("lab"))
        .body("hardware.executionProviders", hasItem("cpu"))
        .body("enrolledAt", notNullValue())
        .body("deployments", org.hamcrest.Matchers.empty());
  }

  @Test
  void replaceLabels() throws Exception {
    String id = agent.enroll(Fixtures.enrollmentToken(Map.of("site", "lab"), 1)).getDeviceId();
    adminJson()
        .body(Map.of("labels", Map.of("site", "plant", "ring", "canary")))
        .put("/api/v1/devices/" + id + "/labels")
        .then()
        .statusCode(200)
        .body("labels", equalTo(Map.of("site", "plant", "ring", "canary")));
    var before = Db.snapshot();
    adminJson()
        .body(Map.of("labels", Map.of("bad key", "x")))
        .put("/api/v1/devices/" + id + "/labels")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-labels"));
    adminJson()
        .body("{\"labels\": {\"a\": [1]}}")
        .put("/api/v1/devices/" + id + "/labels")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("malformed-json"));
    adminJson()
        .body("{}")
        .put("/api/v1/devices/" + id + "/labels")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    assertEquals(before, Db.snapshot());
    admin().get("/api/v1/devices/" + id).then().body("labels.site", equalTo("plant"));
  }

  @Test
  void invalidSelectorAndStatusAreBadRequests() {
    admin()
        .queryParam("selector", "site in (a")
        .get("/api/v1/devices")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-label-selector"))
        .body("detail", containsString("parentheses"));
    admin()
        .queryParam("status", "sleeping")
        .get("/api/v1/devices")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
  }

  @Test
  void unknownDevicesAreNotFound() {
    String unknown = UUID.randomUUID().toString();
    admin()
        .get("/api/v1/devices/" + unknown)
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    admin().get("/api/v1/devices/xyz").then().statusCode(404).body("code", equalTo("not-found"));
    admin().post("/api/v1/devices/" + unknown + "/decommission").then().statusCode(404);
    adminJson()
        .body(Map.of("labels", Map.of()))
        .put("/api/v1/devices/" + unknown + "/labels")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON);
  }

  @Test
  void decommissionIsIdempotent() throws Exception {
    String id = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId();
    admin()
        .post("/api/v1/devices/" + id + "/decommission")
        .then()
        .statusCode(200)
        .body("status", equalTo("decommissioned"));
    admin()
        .post("/api/v1/devices/" + id + "/decommission")
        .then()
        .statusCode(200)
        .body("status", equalTo("decommissioned"));
    admin()
        .queryParam("status", "active")
        .get("/api/v1/devices")
        .then()
        .body("id", not(hasItem(id)));
  }
}
