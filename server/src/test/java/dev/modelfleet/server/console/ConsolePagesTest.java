package dev.modelfleet.server.console;

import static dev.modelfleet.server.console.ConsoleSessionTest.signIn;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.console.ConsoleSessionTest.Browser;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the console's pages show of a device, a model and a rollout, over HTTP with a session
 * cookie: hardware classes by name, the matcher's reasons, the history, trials and revoke, waves
 * without devices, and the wave a rollout paused in.
 */
@QuarkusTest
class ConsolePagesTest {

  private static final String CPU = "Console Test CPU";

  @Test
  void aDevicePageNamesItsHardwareClassExplainsTheMatchAndPagesItsHistory() throws Exception {
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(301));
    String site = Api.unique("site");
    try (AgentClient agent = new AgentClient();
        FakeDevice device = device(agent, site)) {
      adminJson()
          .body(Map.of("selector", "site=" + site))
          .post("/api/v1/models/" + model + "/versions/1/assignments")
          .then()
          .statusCode(200);
      Eventually.within(
          Duration.ofSeconds(10),
          () -> {
            if (!"1".equals(device.runs(model))) {
              throw new AssertionError("the device does not run version 1 yet");
            }
          });
      String classId =
          admin().get("/api/v1/devices/" + device.id).jsonPath().getString("hardwareClassId");
      Browser browser = signIn(Api.ADMIN_TOKEN);

      // the class by what it is, its fingerprint id in the tooltip
      page(browser, "/console/devices/" + device.id)
          .then()
          .statusCode(200)
          .body(containsString("x86_64 " + CPU))
          .body(containsString("title=\"" + classId + ": "))
          .body(containsString("<option value=\"" + model + "@1\">"))
          .body(containsString("hx-get=\"/console/devices/" + device.id + "/history\""));
      given()
          .cookie("mf_session", browser.session())
          .queryParam("selector", "site=" + site)
          .get("/console/devices")
          .then()
          .statusCode(200)
          .body(containsString("x86_64 " + CPU))
          .body(not(containsString("<code>" + classId + "</code>")));

      page(browser, "/console/devices/" + device.id + "/match?version=" + model + "@1")
          .then()
          .statusCode(200)
          .body(containsString("Chosen: <strong>fp32</strong> on <code>"))
          .body(containsString("id=\"match-candidates\""));
      page(browser, "/console/devices/" + device.id + "/match?version=" + model)
          .then()
          .statusCode(400)
          .body(containsString("model@version"));

      page(browser, "/console/devices/" + device.id + "/history")
          .then()
          .statusCode(200)
          .body(containsString("id=\"history-entries\""))
          .body(containsString("<td>" + model + "</td><td>1</td>"));
    }
  }

  @Test
  void theModelsPageOffersRevokeToThoseWhoMayAndTheServerRefusesTheRest() {
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(302));
    String revokeButton = "id=\"revoke-" + model + "-1\"";

    Browser viewer = signIn(ApiClients.create("viewer").secret());
    page(viewer, "/console/models")
        .then()
        .statusCode(200)
        .body(containsString(model))
        .body(not(containsString("Revoke version")));
    given()
        .cookie("mf_session", viewer.session())
        .header("X-CSRF-Token", viewer.csrf())
        .contentType("application/json")
        .body("{\"reason\": \"forged\"}")
        .post("/api/v1/models/" + model + "/versions/1/revoke")
        .then()
        .statusCode(403);

    Browser operator = signIn(Api.ADMIN_TOKEN);
    page(operator, "/console/models").then().statusCode(200).body(containsString(revokeButton));
    // without the CSRF token the cookie alone changes nothing
    given()
        .cookie("mf_session", operator.session())
        .contentType("application/json")
        .body("{}")
        .post("/api/v1/models/" + model + "/versions/1/revoke")
        .then()
        .statusCode(403);
    given()
        .cookie("mf_session", operator.session())
        .header("X-CSRF-Token", operator.csrf())
        .contentType("application/json")
        .body("{\"reason\": \"bad outputs\"}")
        .post("/api/v1/models/" + model + "/versions/1/revoke")
        .then()
        .statusCode(200);
    page(operator, "/console/models")
        .then()
        .statusCode(200)
        .body(containsString("bad outputs"))
        .body(not(containsString(revokeButton)));
  }

  @Test
  void aWaveWithoutDevicesSaysSoInsteadOfZeroOfZero() throws Exception {
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(303));
    String site = Api.unique("site");
    try (AgentClient agent = new AgentClient();
        FakeDevice device = device(agent, site)) {
      // one device: the first wave takes it as the canary, the second has none left
      String id =
          adminJson()
              .body(
                  Map.of(
                      "model",
                      model,
                      "version",
                      "1",
                      "selector",
                      "site=" + site,
                      "start",
                      true,
                      "waves",
                      List.of(Map.of("percent", 50), Map.of("percent", 100))))
              .post("/api/v1/rollouts")
              .then()
              .statusCode(201)
              .extract()
              .path("id");
      Browser browser = signIn(Api.ADMIN_TOKEN);
      page(browser, "/console/rollouts/" + id)
          .then()
          .statusCode(200)
          .body(containsString("no devices in this wave"))
          .body(not(containsString("0 of 0 planned")));
    }
  }

  @Test
  void theOverviewShowsRunningRolloutsAndAPausedRolloutsWaveReadsPaused() throws Exception {
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(304));
    String site = Api.unique("site");
    try (AgentClient agent = new AgentClient();
        FakeDevice device =
            new FakeDevice(
                agent,
                Fixtures.enrollmentToken(Map.of("site", site), 1),
                Profiles.profile(CPU, "x86_64", List.of("avx2"), List.of("cpu"), 8 * Profiles.GIB)
                    .build(),
                v -> Reaction.IGNORE)) {
      Browser browser = signIn(Api.ADMIN_TOKEN);
      page(browser, "/console")
          .then()
          .statusCode(200)
          .body(containsString("sse-connect=\"/api/v1/rollouts/stream\""))
          .body(containsString("hx-get=\"/console/overview/rollouts\""));

      // the device never answers, so the rollout stays running
      String id =
          adminJson()
              .body(
                  Map.of("model", model, "version", "1", "selector", "site=" + site, "start", true))
              .post("/api/v1/rollouts")
              .then()
              .statusCode(201)
              .extract()
              .path("id");
      page(browser, "/console/overview/rollouts")
          .then()
          .statusCode(200)
          .body(containsString("/console/rollouts/" + id))
          .body(not(containsString("<html")));

      // paused in its first wave: that wave reads "paused" on the page, as in the API
      Eventually.within(
          Duration.ofSeconds(20),
          () -> {
            String wave = admin().get("/api/v1/rollouts/" + id).jsonPath().get("waves[0].state");
            if (!"running".equals(wave)) {
              throw new AssertionError("the first wave is " + wave + ", not running yet");
            }
          });
      adminJson()
          .body(Map.of("reason", "looking into it"))
          .post("/api/v1/rollouts/" + id + "/pause")
          .then()
          .statusCode(200);
      assertEquals(
          "paused", admin().get("/api/v1/rollouts/" + id).jsonPath().get("waves[0].state"));
      page(browser, "/console/rollouts/" + id)
          .then()
          .statusCode(200)
          .body(containsString("id=\"rollout-state\" class=\"state st-paused\">paused"))
          .body(containsString("data-wave=\"0\" data-state=\"paused\""))
          .body(containsString("Wave 1 <span class=\"state st-paused\">paused</span>"))
          .body(not(containsString("st-running")));

      adminJson().post("/api/v1/rollouts/" + id + "/abort").then().statusCode(200);
      page(browser, "/console/overview/rollouts")
          .then()
          .statusCode(200)
          .body(not(containsString("/console/rollouts/" + id)));
    }
  }

  @Test
  void theModelsPageShowsADerivationsVariantsBesideTheFp32Reference() {
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(305));
    String job =
        adminJson()
            .body(Map.of("kinds", List.of("fp16")))
            .post("/api/v1/models/" + model + "/versions/1/derivations")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    Eventually.within(
        Duration.ofMinutes(3),
        () -> {
          String state =
              admin()
                  .get("/api/v1/models/" + model + "/versions/1/derivations/" + job)
                  .path("state");
          if (!List.of("succeeded", "partially_succeeded", "failed").contains(state)) {
            throw new AssertionError("the job is still " + state);
          }
        });
    String outcome =
        admin()
            .get("/api/v1/models/" + model + "/versions/1/derivations/" + job)
            .path("variants[0].outcome");

    String page =
        page(signIn(Api.ADMIN_TOKEN), "/console/models")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    String card = page.substring(page.indexOf("id=\"m-"), page.length());
    card = card.substring(card.indexOf(">" + model + "<"));
    assertTrue(card.contains("fp32 reference"), "the reference row");
    assertTrue(
        card.contains("<td>fp16</td><td><span class=\"state st-" + outcome + "\">" + outcome),
        "the fp16 variant with its outcome: " + card.substring(0, Math.min(card.length(), 3000)));
    assertTrue(card.contains("×"), "sizes and latencies relative to fp32");
  }

  private static FakeDevice device(AgentClient agent, String site) throws Exception {
    return new FakeDevice(
        agent,
        Fixtures.enrollmentToken(Map.of("site", site), 1),
        Profiles.profile(CPU, "x86_64", List.of("avx2"), List.of("cpu"), 8 * Profiles.GIB).build(),
        v -> Reaction.ACTIVATE);
  }

  private static io.restassured.response.Response page(Browser browser, String path) {
    return given().cookie("mf_session", browser.session()).get(path);
  }
}
