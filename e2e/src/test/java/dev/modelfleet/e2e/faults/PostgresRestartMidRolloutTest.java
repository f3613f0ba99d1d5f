package dev.modelfleet.e2e.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.RolloutDefaults;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.sim.SimulatedFleet;
import dev.modelfleet.e2e.sim.SimulatorOptions;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL restarted in the middle of a rollout, as an operator's maintenance or a failover does:
 * the server rides it out (it never exits), its pool and its LISTEN connection come back, and the
 * rollout finishes with every device on the new version and nothing the devices reported lost. The
 * database is a throwaway cluster of this test's own, never the shared one.
 */
class PostgresRestartMidRolloutTest {

  private static final int DEVICES = 12;
  private static final String DATABASE = "modelfleet_faults";
  private static final String RECONNECTS = "modelfleet_cluster_listener_reconnects_total";
  private static final String LISTENING = "modelfleet_cluster_listener_connected";

  private static final Duration OUTAGE_AFTER_REPORTS = Duration.ofSeconds(10);

  /** Per connection: version 2 takes some 4 s to download. */
  private static final long LINK_BYTES_PER_SECOND = 128 << 10;

  @TempDir Path work;

  @Test
  @Timeout(420)
  void aRolloutOutlivesAPostgresRestartWithNoDeviceStateLost() throws Exception {
    assumeTrue(
        ThrowawayPostgres.binaries().isPresent(),
        "no PostgreSQL installed under /usr/lib/postgresql to make a cluster of this test's own");
    try (ThrowawayPostgres postgres = ThrowawayPostgres.start(DATABASE);
        ThrottledLink link = ThrottledLink.open(LINK_BYTES_PER_SECOND)) {
      Map<String, String> env = new HashMap<>(ServerProcess.PLAINTEXT_AGENTS);
      env.put("QUARKUS_DATASOURCE_JDBC_URL", postgres.jdbcUrl(DATABASE));
      // downloads over a slow link, so that devices are still fetching when the database goes
      env.put(
          "MODELFLEET_ARTIFACT_BASE_URL",
          "http://127.0.0.1:" + link.port() + "/agent/v1/artifacts");
      try (ServerProcess server = ServerProcess.start(RepoLayout.find(), work, DATABASE, env)) {
        link.forwardTo(server.baseUri().getPort());
        try {
          rolloutThroughARestart(server, postgres, link);
        } catch (AssertionError | RuntimeException e) {
          // the server's log lives in the test's temporary directory, gone after the test
          System.err.println("server log:\n" + server.logTail(300));
          throw e;
        }
      }
    }
  }

  private void rolloutThroughARestart(
      ServerProcess server, ThrowawayPostgres postgres, ThrottledLink link) throws Exception {
    AdminClient admin = server.admin();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "pg-restart-" + run;
    String site = "pg-restart-" + run;
    admin.post("/api/v1/models", Map.of("name", model));
    // version 2 is about 530 KB: some 4 s over the link
    Map<String, byte[]> versions =
        Map.of("1", SampleModels.classifier(31), "2", SampleModels.classifier(32, 64, 2048, 2));
    for (var version : versions.entrySet()) {
      admin.post("/api/v1/models/" + model + "/versions", Map.of("version", version.getKey()));
      admin.upload(
          "/api/v1/models/"
              + model
              + "/versions/"
              + version.getKey()
              + "/variants?precision=fp32&executionProvider=cpu",
          version.getValue());
    }
    Path rootKey = work.resolve("root.pub.pem");
    Files.writeString(rootKey, admin.getText("/api/v1/trust/root.pem"));
    JsonNode token =
        admin.post(
            "/api/v1/enrollment-tokens",
            Map.of(
                "name",
                site,
                "labels",
                Map.of("site", site),
                "maxUses",
                DEVICES,
                "expiresInSeconds",
                3600));
    SimulatorOptions options =
        SimulatorOptions.builder(server.grpcTarget(), token.path("token").asText(), DEVICES)
            .heartbeatMillis(500)
            .rootKey(rootKey)
            .namePrefix(site)
            .build();
    try (SimulatedFleet devices = SimulatedFleet.start(options, System.err)) {
      Waits.until(
          DEVICES + " devices connected",
          Duration.ofSeconds(60),
          () -> devices.snapshot().connected() == DEVICES);
      admin.post(
          "/api/v1/models/" + model + "/versions/1/assignments",
          Map.of("selector", "site=" + site));
      Waits.until(
          "every device on version 1",
          Duration.ofSeconds(60),
          () -> devices.snapshot().serving(model, "1") == DEVICES);

      String id = admin.post("/api/v1/rollouts", rollout(model, site)).path("id").asText();
      // The first wave holds a device of every hardware class (the simulator's devices differ),
      // so how many it holds is read off the rollout.
      int told =
          Waits.until(
                  "the rollout's first wave to start",
                  Duration.ofSeconds(120),
                  () -> {
                    JsonNode wave = admin.get("/api/v1/rollouts/" + id).path("waves").path(0);
                    return wave.path("state").asText().equals("running") ? wave : null;
                  })
              .path("planned")
              .asInt();
      // version 1 went to every device, then version 2 to the first wave's
      Waits.until(
          "the first wave's devices to be answered with their bytes",
          Duration.ofSeconds(60),
          () -> link.responsesBegun() >= DEVICES + told);
      Map<String, Set<String>> before = deviceRecords(admin, devices.deviceIds());
      URI metrics = server.baseUri().resolve("/q/metrics");
      double reconnectsBefore = MetricsScrape.value(metrics, RECONNECTS);
      int servingBefore = devices.snapshot().serving(model, "2");

      postgres.stop();
      Waits.until(
          "the server to notice the database is gone (its LISTEN connection lost)",
          Duration.ofSeconds(30),
          () -> {
            server.requireAliveFor("PostgreSQL is down");
            return metric(metrics, LISTENING) == 0;
          });
      // The first wave's devices finish their downloads and activate version 2 while nothing can
      // be stored: what they report meanwhile must not be lost for good.
      Waits.until(
          "the first wave's " + told + " devices to serve version 2 while PostgreSQL is down",
          Duration.ofSeconds(60),
          () -> {
            server.requireAliveFor("PostgreSQL is down");
            return devices.snapshot().serving(model, "2") >= told;
          });
      assertTrue(
          servingBefore < told,
          "the database went away before the first wave had finished: "
              + servingBefore
              + " of "
              + told);
      // Then the restart takes a while longer, as a real one may: past the pool's acquisition
      // timeout (5 s), so what the devices reported has been refused, not merely kept waiting.
      Waits.sleep(OUTAGE_AFTER_REPORTS);
      server.requireAliveFor("PostgreSQL is down");
      postgres.start();

      JsonNode done =
          Waits.until(
              "the rollout to complete after PostgreSQL came back",
              Duration.ofSeconds(240),
              () -> {
                server.requireAliveFor("the rollout finishes");
                JsonNode rollout = admin.get("/api/v1/rollouts/" + id);
                String state = rollout.path("state").asText();
                if (Set.of("paused", "aborted", "rolling_back", "rolled_back").contains(state)) {
                  throw new Waits.GaveUp("the rollout ended " + state + ": " + rollout);
                }
                return state.equals("completed") ? rollout : null;
              });

      assertEquals(
          DEVICES, done.path("totals").path("byState").path("active").asInt(), done.toString());
      Waits.until(
          "every device serving version 2",
          Duration.ofSeconds(30),
          () -> devices.snapshot().serving(model, "2") == DEVICES);
      for (String device : devices.deviceIds()) {
        JsonNode status = deploymentOf(admin, device, model);
        assertEquals("active", status.path("state").asText().toLowerCase(), device + ": " + status);
        assertEquals("2", status.path("version").asText(), device + ": " + status);
      }
      Map<String, Set<String>> after = deviceRecords(admin, devices.deviceIds());
      before.forEach(
          (device, records) -> {
            List<String> lost = new ArrayList<>(records);
            lost.removeAll(after.get(device));
            assertEquals(List.of(), lost, device + " lost what it had before the restart");
          });
      assertTrue(
          MetricsScrape.value(metrics, RECONNECTS) > reconnectsBefore,
          "the LISTEN reconnect counter went up");
      Waits.until(
          "the server listening again",
          Duration.ofSeconds(30),
          () -> metric(metrics, LISTENING) == 1);
      assertTrue(server.isAlive(), "the server never exited");
    }
  }

  /** 4 waves with a soak; the restart lands in the first. */
  private static Map<String, Object> rollout(String model, String site) {
    Map<String, Object> body = new HashMap<>();
    body.put("model", model);
    body.put("version", "2");
    body.put("selector", "site=" + site);
    body.put("start", true);
    body.put(
        "waves",
        List.of(
            Map.of("percent", 10),
            Map.of("percent", 25),
            Map.of("percent", 50),
            Map.of("percent", 100)));
    body.put("defaults", RolloutDefaults.everyDeviceActive(2, 90));
    return body;
  }

  /**
   * What the server holds of each device that the restart must not take: its name and labels and
   * every history line (deployments told and reported), as comparable text.
   */
  private static Map<String, Set<String>> deviceRecords(AdminClient admin, List<String> ids) {
    Map<String, Set<String>> records = new HashMap<>();
    for (String id : ids) {
      Set<String> lines = new TreeSet<>();
      JsonNode device = admin.get("/api/v1/devices/" + id);
      lines.add("name " + device.path("name").asText());
      lines.add("labels " + device.path("labels"));
      for (JsonNode line : admin.getAll("/api/v1/devices/" + id + "/history")) {
        lines.add(
            "history "
                + line.path("at").asText()
                + " "
                + line.path("kind").asText()
                + " "
                + line.path("model").asText()
                + " "
                + line.path("version").asText());
      }
      records.put(id, lines);
    }
    return records;
  }

  private static JsonNode deploymentOf(AdminClient admin, String device, String model) {
    for (JsonNode deployment : admin.get("/api/v1/devices/" + device).path("deployments")) {
      if (model.equals(deployment.path("model").asText())) {
        return deployment;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** A metric, or -1 while the server does not answer (a probe asks again). */
  private static double metric(URI endpoint, String name) {
    try {
      return MetricsScrape.value(endpoint, name);
    } catch (IOException e) {
      return -1;
    }
  }
}
