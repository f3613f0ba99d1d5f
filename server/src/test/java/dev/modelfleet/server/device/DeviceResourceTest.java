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

import dev.modelfleet.protocol.ProtocolRevision;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
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
  void theAgentReleaseTheDeviceRunsIsShownAsItsHelloSaysAndTheServerNamesItsProtocol()
      throws Exception {
    String site = Api.unique("site");
    EnrollResponse enrolled = agent.enroll(Fixtures.enrollmentToken(Map.of("site", site), 1));
    String id = enrolled.getDeviceId();
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AgentClient.SyncStream stream =
        AgentClient.SyncStream.open(
            agent
                .asDevice(enrolled.getDeviceCredential())
                .withInterceptors(
                    MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>())));
    stream.send(
        AgentMessage.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setHardware(AgentClient.cpuHardware())
                    .setAgentVersion("0.3.1")
                    .setProtocol(1)
                    .setConfigVersion(2))
            .build());
    stream.next(); // the SyncConfig: the Hello is recorded
    assertEquals(
        String.valueOf(ProtocolRevision.CURRENT),
        headers
            .get()
            .get(Metadata.Key.of("modelfleet-protocol", Metadata.ASCII_STRING_MARSHALLER)));
    stream.cancel();

    admin()
        .get("/api/v1/devices/" + id)
        .then()
        .statusCode(200)
        .body("agent.version", equalTo("0.3.1"))
        .body("agent.protocol", equalTo(1))
        .body("agent.configVersion", equalTo(2));
    admin()
        .queryParam("selector", "site=" + site)
        .get("/api/v1/devices")
        .then()
        .statusCode(200)
        .body("agentVersion", contains("0.3.1"));
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
