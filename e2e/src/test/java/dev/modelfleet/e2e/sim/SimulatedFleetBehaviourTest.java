package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the rollout engine's tests need from the simulator, against the real server: the HTTP
 * artifact path, and a bad version that fails to install on its share of devices (visible as failed
 * deployments in the admin API), leaves another share silent, and reports poor traffic figures from
 * the rest, while the previous version keeps serving where the new one failed.
 */
class SimulatedFleetBehaviourTest {

  /** Enough that a quarter share is never empty (0.75^40: one run in a hundred thousand). */
  private static final int DEVICES = 40;

  @RegisterExtension static final RunningFleet running = RunningFleet.plaintextAgents();

  @TempDir Path downloads;

  @Test
  @Timeout(150)
  void aBadVersionFailsOnItsShareSilencesAnotherAndTheRestReportWhatTheBehaviourSays()
      throws Exception {
    Fleet fleet = running.fleet();
    String run = UUID.randomUUID().toString().substring(0, 8);
    JsonNode token =
        fleet
            .admin()
            .post(
                "/api/v1/enrollment-tokens",
                Map.of(
                    "name",
                    "sim-behaviour-" + run,
                    "labels",
                    Map.of("sim-behaviour", run),
                    "maxUses",
                    DEVICES,
                    "expiresInSeconds",
                    3600));
    VersionBehaviour bad =
        VersionBehaviour.forVersion("2")
            .withFailShare(0.25, "load-failed")
            .withSilentShare(0.25)
            .withErrorRate(0.2)
            .withLatency(20, 40)
            .withProvider("openvino");
    SimulatorOptions options =
        SimulatorOptions.builder(
                running.server().grpcTarget(), token.path("token").asText(), DEVICES)
            .heartbeatMillis(200)
            .rootKey(running.workDir().resolve("root.pub.pem"))
            .namePrefix("sim-behaviour-" + run)
            .behaviour(bad)
            .downloadPath(DownloadPath.HTTP)
            .downloadDir(downloads)
            .build();

    try (SimulatedFleet tool = SimulatedFleet.start(options, System.err)) {
      Waits.until(
          DEVICES + " simulated devices connected",
          Duration.ofSeconds(30),
          () -> tool.snapshot().connected() == DEVICES);
      List<String> ids = tool.deviceIds();
      String model = "sim-behaviour-" + run;
      fleet.createModel(model);

      // Version 1 is healthy and comes over HTTP, written to disk and deleted once verified.
      fleet.createVersion(model, "1");
      JsonNode one = fleet.uploadVariant(model, "1", SampleModels.classifier(31));
      fleet.assign(model, "1", "sim-behaviour=" + run);
      awaitStates(fleet, model, ids, id -> "1", id -> "ACTIVE");
      FleetSnapshot afterOne = tool.snapshot();
      assertEquals(DEVICES, afterOne.serving(model, "1"), afterOne.toString());
      assertEquals(DEVICES, afterOne.httpDownloads(), afterOne.toString());
      assertEquals(0, afterOne.grpcDownloads(), afterOne.toString());
      assertEquals(DEVICES * one.path("size").asLong(), afterOne.bytesDownloaded());
      try (var left = Files.list(downloads)) {
        assertEquals(List.of(), left.toList(), "each file is deleted once verified");
      }

      // Version 2 is bad: a quarter fail to load it, a quarter go quiet, the rest run it.
      fleet.createVersion(model, "2");
      fleet.uploadVariant(model, "2", SampleModels.classifier(32));
      List<String> failing = ids.stream().filter(bad::failsOn).toList();
      List<String> silent = ids.stream().filter(bad::silentOn).toList();
      List<String> healthy =
          ids.stream().filter(id -> !failing.contains(id) && !silent.contains(id)).toList();
      assertFalse(failing.isEmpty() || silent.isEmpty() || healthy.isEmpty(), ids.toString());
      fleet.assign(model, "2", "sim-behaviour=" + run);
      List<String> reporting = ids.stream().filter(id -> !silent.contains(id)).toList();
      awaitStates(
          fleet, model, reporting, id -> "2", id -> failing.contains(id) ? "FAILED" : "ACTIVE");

      for (String id : failing) {
        JsonNode deployment = fleet.deploymentOf(id, model);
        assertEquals("load-failed", deployment.path("reasonCode").asText(), deployment.toString());
      }
      for (String id : healthy) {
        assertEquals(
            "openvino",
            fleet.deploymentOf(id, model).path("executionProviderUsed").asText(),
            "the provider the behaviour says the device used");
      }
      for (String id : silent) {
        JsonNode deployment = fleet.deploymentOf(id, model);
        assertFalse(
            List.of("ACTIVE", "FAILED").contains(state(deployment))
                && "2".equals(deployment.path("version").asText()),
            "a silent device reports nothing of version 2: " + deployment);
      }
      FleetSnapshot afterTwo = tool.snapshot();
      assertEquals(healthy.size(), afterTwo.serving(model, "2"), afterTwo.toString());
      assertEquals(
          failing.size() + silent.size(),
          afterTwo.serving(model, "1"),
          "version 1 keeps serving where 2 failed or never started: " + afterTwo);
      assertEquals(failing.size(), afterTwo.failed(), afterTwo.toString());
      assertEquals(silent.size(), afterTwo.silent(), afterTwo.toString());
      assertEquals(
          DEVICES + healthy.size() + failing.size(),
          afterTwo.httpDownloads(),
          "silent devices download nothing: " + afterTwo);

      // Heartbeats (with the traffic figures of both versions) keep reaching the server from
      // every device but the silent ones.
      long beats = afterTwo.heartbeats();
      Waits.until(
          "more heartbeats",
          Duration.ofSeconds(10),
          () -> tool.snapshot().heartbeats() >= beats + 2L * reporting.size());
      DeviceHealth.assertReported(model, healthy, failing, bad);
    }
  }

  private static String state(JsonNode deployment) {
    return deployment.path("state").asText("").toUpperCase(Locale.ROOT);
  }

  private static void awaitStates(
      Fleet fleet,
      String model,
      List<String> ids,
      java.util.function.Function<String, String> version,
      java.util.function.Function<String, String> expected) {
    Waits.until(
        ids.size() + " devices to settle on " + model,
        Duration.ofSeconds(40),
        () ->
            ids.stream()
                .allMatch(
                    id -> {
                      JsonNode deployment = fleet.deploymentOf(id, model);
                      return expected.apply(id).equals(state(deployment))
                          && version.apply(id).equals(deployment.path("version").asText());
                    }));
  }
}
