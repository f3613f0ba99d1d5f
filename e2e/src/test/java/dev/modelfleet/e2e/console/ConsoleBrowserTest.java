package dev.modelfleet.e2e.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.sim.SimulatedFleet;
import dev.modelfleet.e2e.sim.SimulatorOptions;
import dev.modelfleet.e2e.sim.VersionBehaviour;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;

/**
 * The web console in a real browser (Debian's Chromium, headless) against the packaged server, a
 * simulated fleet and one real agent: an operator creates a rollout in the form and watches it
 * finish without reloading; a bad version's pause shows with its reason; a viewer gets no controls
 * and a forged action is refused; a device page shows the real agent's benchmark and a simulated
 * device's latency plot; another site's form post is refused; signing out ends the session. The
 * screenshots in docs/console/ come from these tests.
 */
class ConsoleBrowserTest {

  private static final int SIMULATED = 8;

  @RegisterExtension static final RunningFleet running = RunningFleet.plaintextAgents();

  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
  private static final String MODEL = "console-" + RUN;
  private static final String SELECTOR = "console=" + RUN;
  private static final Path DOCS = RepoLayout.find().root().resolve("docs/console");

  private static SimulatedFleet simulator;
  private static AgentProcess agent;
  private static String agentId;
  private static List<String> simulatedIds;
  private static String operatorToken;
  private static String viewerToken;

  @BeforeAll
  static void fleetWithOneVersionEverywhere() throws Exception {
    Fleet fleet = running.fleet();
    operatorToken = token("operator");
    viewerToken = token("viewer");
    JsonNode enrollment =
        fleet
            .admin()
            .post(
                "/api/v1/enrollment-tokens",
                Map.of(
                    "name",
                    "console-sim-" + RUN,
                    "labels",
                    Map.of("console", RUN),
                    "maxUses",
                    SIMULATED,
                    "expiresInSeconds",
                    3600));
    simulator =
        SimulatedFleet.start(
            SimulatorOptions.builder(
                    running.server().grpcTarget(), enrollment.path("token").asText(), SIMULATED)
                .heartbeatMillis(300)
                .rootKey(running.workDir().resolve("root.pub.pem"))
                .namePrefix("sim-" + RUN)
                .behaviour(VersionBehaviour.forVersion("bad").withFailShare(1.0, "load-failed"))
                .build(),
            System.err);
    Waits.until(
        SIMULATED + " simulated devices connected",
        Duration.ofSeconds(60),
        () -> simulator.snapshot().connected() == SIMULATED);
    simulatedIds = simulator.deviceIds();
    agent = fleet.startAgent("edge-" + RUN, Map.of("console", RUN));
    agentId = fleet.deviceIdOf(agent);
    fleet.createModel(MODEL);
    int seed = 41;
    for (String version : List.of("1", "2", "bad")) {
      fleet.createVersion(MODEL, version);
      fleet.uploadVariant(MODEL, version, SampleModels.classifier(seed++));
    }
    fleet.assign(MODEL, "1", SELECTOR);
    List<String> all = new ArrayList<>(simulatedIds);
    all.add(agentId);
    Waits.until(
        "version 1 active on every device",
        Duration.ofSeconds(90),
        () ->
            all.stream()
                .allMatch(
                    id -> {
                      JsonNode d = fleet.deploymentOf(id, MODEL);
                      return "ACTIVE".equals(d.path("state").asText().toUpperCase(Locale.ROOT))
                          && "1".equals(d.path("version").asText());
                    }));
  }

  @AfterAll
  static void stopSimulator() {
    if (simulator != null) {
      simulator.close();
    }
  }

  @Test
  @Timeout(240)
  void anOperatorCreatesARolloutInTheFormAndWatchesItsWavesCompleteWithoutReloading()
      throws Exception {
    try (ConsoleBrowser browser = ConsoleBrowser.open(running.server().baseUri())) {
      browser.signIn(operatorToken);
      browser.go("/console/rollouts/new");
      new Select(browser.find("#model")).selectByValue(MODEL);
      browser.find("#version").sendKeys("2");
      browser.find("#selector").sendKeys(SELECTOR);
      browser.find("#waves").clear();
      browser.find("#waves").sendKeys("25, 100");
      browser.find("#soak").clear();
      browser.find("#soak").sendKeys("2");
      // the preview follows the typing: wait for the one of the fields as they are now
      browser.await(
          "the plan preview of the two waves typed",
          () ->
              browser.text("#preview-summary").startsWith((SIMULATED + 1) + " active devices")
                  && browser.text("#preview-summary").contains("in 2 waves")
                  && browser.driver().findElements(By.cssSelector("#preview-waves tbody tr")).size()
                      == 2);
      browser.screenshot(DOCS, "rollout-new");

      browser.find("#create").click();
      browser.await(
          "the rollout page", () -> browser.path().matches("/console/rollouts/[0-9a-f-]{36}"));
      // a mark on this page's window: a reload would remove it
      browser.script("window.modelfleetNoReload = true;");
      List<String> seen = new ArrayList<>();
      browser.await(
          "the rollout to complete on the page",
          Duration.ofSeconds(150),
          () -> {
            String state = browser.text("#rollout-state");
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(state)) {
              seen.add(state);
            }
            return state.equals("completed");
          });
      assertEquals(Boolean.TRUE, browser.script("return window.modelfleetNoReload === true;"));
      assertTrue(seen.size() >= 2, "the page changed state while open: " + seen);
      // read in one script call: a late live update may replace the fragment between two calls
      assertEquals(
          List.of("succeeded", "succeeded"),
          browser.script(
              "return Array.from(document.querySelectorAll('#waves .wave'))"
                  + ".map(w => w.getAttribute('data-state'));"));
      // the first wave holds a canary of every hardware class: its bar is all active devices
      assertFalse(
          browser.driver().findElements(By.cssSelector("#waves .wave rect.s-active")).isEmpty(),
          "a bar of active devices");
      browser.screenshot(DOCS, "rollout");

      browser.go("/console");
      browser.await("the overview", () -> browser.present("#device-count"));
      // the database is shared with the other end-to-end tests: this class's devices are some
      assertTrue(
          Integer.parseInt(browser.text("#device-count").split(" ")[0]) >= SIMULATED + 1,
          browser.text("#device-count"));
      browser.screenshot(DOCS, "overview");
      browser.go("/console/devices?selector=" + SELECTOR);
      assertEquals(
          SIMULATED + 1,
          browser.driver().findElements(By.cssSelector("#device-list tbody tr")).size());
      browser.screenshot(DOCS, "devices");
      browser.go("/console/models");
      browser.screenshot(DOCS, "models");
    }
  }

  @Test
  @Timeout(240)
  void aFailingVersionMakesThePageShowThePauseAndItsReason() throws Exception {
    try (ConsoleBrowser browser = ConsoleBrowser.open(running.server().baseUri())) {
      browser.signIn(operatorToken);
      JsonNode rollout =
          running
              .fleet()
              .admin()
              .post(
                  "/api/v1/rollouts",
                  Map.of(
                      "model",
                      MODEL,
                      "version",
                      "bad",
                      "selector",
                      SELECTOR,
                      "waves",
                      List.of(Map.of("percent", 50), Map.of("percent", 100)),
                      "onBreach",
                      "pause",
                      "start",
                      true));
      String id = rollout.path("id").asText();
      try {
        browser.go("/console/rollouts/" + id);
        browser.script("window.modelfleetNoReload = true;");
        browser.await(
            "the pause on the page",
            Duration.ofSeconds(120),
            () -> browser.text("#rollout-state").equals("paused"));
        assertFalse(browser.text("#state-reason").isBlank(), "the reason of the pause is shown");
        assertTrue(browser.present("#problems"), "the failed devices are listed");
        assertEquals(Boolean.TRUE, browser.script("return window.modelfleetNoReload === true;"));
        assertTrue(browser.present("#resume") && browser.present("#rollback"));
        browser.screenshot(DOCS, "rollout-paused");
      } finally {
        running.fleet().admin().post("/api/v1/rollouts/" + id + "/abort", Map.of());
      }
    }
  }

  @Test
  @Timeout(180)
  void aViewerSeesNoActionControlsAndAForgedActionIsRefused() throws Exception {
    JsonNode created =
        running
            .fleet()
            .admin()
            .post(
                "/api/v1/rollouts",
                Map.of(
                    "model", MODEL, "version", "2", "selector", SELECTOR, "name", "viewer-" + RUN));
    String id = created.path("id").asText();
    try (ConsoleBrowser browser = ConsoleBrowser.open(running.server().baseUri())) {
      browser.signIn(viewerToken);
      browser.go("/console/rollouts/" + id);
      browser.await("the rollout page", () -> browser.present("#rollout-state"));
      assertEquals("created", browser.text("#rollout-state"));
      assertFalse(browser.present("#rollout-actions"), "a viewer sees no rollout actions");
      assertFalse(browser.present("button[data-post]"));
      browser.go("/console/devices/" + agentId);
      assertFalse(browser.present("#device-actions"), "a viewer sees no device actions");
      browser.go("/console/rollouts");
      assertFalse(browser.present("#new-rollout"));

      // the same request an operator's button makes, forged from the viewer's own page
      Object status =
          browser.asyncScript(
              "const done = arguments[arguments.length - 1];"
                  + "fetch('/api/v1/rollouts/"
                  + id
                  + "/start', {method: 'POST', headers:"
                  + " {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}})"
                  + ".then(r => done(r.status), e => done(String(e)));");
      assertEquals(403L, status);
      assertEquals(
          "created", running.fleet().admin().get("/api/v1/rollouts/" + id).path("state").asText());
    } finally {
      running.fleet().admin().post("/api/v1/rollouts/" + id + "/abort", Map.of());
    }
  }

  @Test
  @Timeout(180)
  void aDevicePageShowsTheBenchmarkAndTheLatencyPlot() throws Exception {
    try (ConsoleBrowser browser = ConsoleBrowser.open(running.server().baseUri())) {
      browser.signIn(operatorToken);
      browser.go("/console/devices/" + agentId);
      browser.find("#benchmark").click();
      browser.await("the benchmark requested", () -> browser.text("#flash").contains("requested"));
      browser.await(
          "the real agent's benchmark figures",
          Duration.ofSeconds(120),
          () -> {
            browser.go("/console/devices/" + agentId);
            return browser.present("#benchmark-figures tbody tr");
          });
      assertTrue(
          browser.present("#benchmark-figures rect.s-bench"), "bars per provider and precision");
      browser.screenshot(DOCS, "device-benchmark");

      String simulated = simulatedIds.get(0);
      browser.go("/console/devices/" + simulated);
      browser.await(
          "the latency and error plots",
          () -> browser.driver().findElements(By.cssSelector("#health-plot canvas")).size() >= 2);
      assertTrue(browser.present("#health-latest tbody tr"));
      browser.screenshot(DOCS, "device");
    }
  }

  @Test
  @Timeout(120)
  void anotherSitesFormPostIsRefusedAndSigningOutEndsTheSession() throws Exception {
    HttpServer attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String target = running.server().baseUri().resolve("/console/logout").toString();
    byte[] page =
        ("<!DOCTYPE html><form id=f method=post action='"
                + target
                + "'></form>"
                + "<script>document.getElementById('f').submit()</script>")
            .getBytes(StandardCharsets.UTF_8);
    attacker.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "text/html");
          exchange.sendResponseHeaders(200, page.length);
          exchange.getResponseBody().write(page);
          exchange.close();
        });
    attacker.start();
    try (ConsoleBrowser browser = ConsoleBrowser.open(running.server().baseUri())) {
      browser.signIn(operatorToken);
      browser.driver().get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
      browser.await("the refused post", () -> browser.path().equals("/console/logout"));
      assertTrue(
          browser.driver().getPageSource().contains("Refused"), browser.driver().getPageSource());
      browser.go("/console");
      assertEquals("/console", browser.path(), "still signed in: the forged sign-out was refused");

      browser.find("#logout").click();
      browser.await("the sign-in page", () -> browser.path().equals("/console/login"));
      browser.screenshot(DOCS, "login");
      browser.go("/console/rollouts");
      assertEquals("/console/login", browser.path(), "the session ended");
      browser.driver().navigate().back();
      browser.go("/console");
      assertEquals("/console/login", browser.path());
    } finally {
      attacker.stop(0);
    }
  }

  private static String token(String role) {
    return running
        .fleet()
        .admin()
        .post("/api/v1/access/tokens", Map.of("name", role + "-" + RUN, "role", role))
        .path("token")
        .asText();
  }
}
