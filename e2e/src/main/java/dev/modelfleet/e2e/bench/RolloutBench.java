package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.RolloutDefaults;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.sim.FleetSnapshot;
import dev.modelfleet.e2e.sim.SimulatedFleet;
import dev.modelfleet.e2e.sim.SimulatorOptions;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A rollout of a 10 MB model to 1,000 simulated devices in four waves with zero soak, timed from
 * the create call to the rollout's "completed", beside the time curl needs to write the same bytes
 * (devices × size) to disk from a static server on loopback.
 */
final class RolloutBench {

  private RolloutBench() {}

  /** The classifier's weights dominate its size: 1024 × 2560 floats ≈ 10 MB. */
  static byte[] tenMegabyteModel() {
    return SampleModels.classifier(7, 1024, 2560, 2);
  }

  static void run(
      ServerProcess server, Path work, int devices, OptionalDouble curlMbPerSecond, ReportRows row)
      throws Exception {
    AdminClient admin = server.admin();
    String model = "bench-rollout";
    byte[] bytes = tenMegabyteModel();
    admin.post("/api/v1/models", Map.of("name", model));
    admin.post("/api/v1/models/" + model + "/versions", Map.of("version", "1"));
    admin.upload(
        "/api/v1/models/" + model + "/versions/1/variants?precision=fp32&executionProvider=cpu",
        bytes);
    Path rootKey = work.resolve("rollout-root.pub.pem");
    Files.writeString(rootKey, admin.getText("/api/v1/trust/root.pem"));
    JsonNode token =
        admin.post(
            "/api/v1/enrollment-tokens",
            Map.of(
                "name",
                "bench-rollout",
                "labels",
                Map.of("bench", "rollout"),
                "maxUses",
                devices,
                "expiresInSeconds",
                3600));
    Path downloads = work.resolve("sim-downloads");
    Files.createDirectories(downloads);
    Benchmarks.progress("rollout: enrolling " + devices + " simulated devices");
    try (SimulatedFleet fleet =
        SimulatedFleet.start(
            SimulatorOptions.parse(
                "--server", server.grpcTarget(),
                "--token", token.path("token").asText(),
                "--devices", Integer.toString(devices),
                "--download-path", "http",
                "--download-dir", downloads.toString(),
                "--root-key", rootKey.toString(),
                "--name-prefix", "bench-rollout"),
            null)) {
      Waits.until(
          devices + " devices connected",
          Duration.ofMinutes(5),
          () -> fleet.snapshot().connected() == devices);
      Waits.sleep(Duration.ofSeconds(3));
      double cpuBefore = server.cpuSeconds();
      double simCpuBefore = ownCpuSeconds();
      Benchmarks.progress(
          "rollout: 4 waves (1, 10, 50, 100 %), zero soak, to " + devices + " devices");
      long start = System.nanoTime();
      String id =
          admin
              .post(
                  "/api/v1/rollouts",
                  Map.of(
                      "model",
                      model,
                      "version",
                      "1",
                      "selector",
                      "bench=rollout",
                      "start",
                      true,
                      "waves",
                      List.of(
                          Map.of("percent", 1),
                          Map.of("percent", 10),
                          Map.of("percent", 50),
                          Map.of("percent", 100)),
                      "defaults",
                      RolloutDefaults.everyDeviceActive(0, 600)))
              .path("id")
              .asText();
      long lastPrint = 0;
      while (true) {
        String state = stateOf(admin, id);
        if (state.equals("completed")) {
          break;
        }
        if (!state.equals("running")) {
          throw new IllegalStateException(
              "the benchmark rollout stopped: "
                  + admin.get("/api/v1/rollouts/" + id).path("stateReason").asText());
        }
        if (System.nanoTime() - lastPrint > 1_000_000_000L) {
          FleetSnapshot now = fleet.snapshot();
          Benchmarks.progress(
              String.format(
                  Locale.ROOT,
                  "rollout: %.0f s, %d of %d active, %.0f MB fetched",
                  (System.nanoTime() - start) / 1e9,
                  now.serving(model, "1"),
                  devices,
                  now.bytesDownloaded() / 1048576.0));
          lastPrint = System.nanoTime();
        }
        Thread.sleep(100);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpu = server.cpuSeconds() - cpuBefore;
      double simCpu = ownCpuSeconds() - simCpuBefore;
      double totalMb = (double) devices * bytes.length / 1048576.0;
      row.row(
          String.format(
              Locale.ROOT,
              "Rollout: %.1f MB model to %d simulated devices, 4 waves, zero soak: create to completed",
              bytes.length / 1048576.0,
              devices),
          String.format(
              Locale.ROOT,
              "%.1f s (%.0f MB delivered, %.0f MB/s)",
              seconds,
              totalMb,
              totalMb / seconds),
          "");
      if (curlMbPerSecond.isPresent()) {
        double curlSeconds = totalMb / curlMbPerSecond.getAsDouble();
        row.row(
            "Rollout: curl writing the same bytes from a static server on loopback (baseline)",
            String.format(
                Locale.ROOT, "%.1f s at %.0f MB/s", curlSeconds, curlMbPerSecond.getAsDouble()),
            "");
        row.row(
            "Rollout: ratio rollout time / curl time",
            String.format(Locale.ROOT, "%.2f", seconds / curlSeconds),
            "≤ 1.5");
      }
      row.row(
          "Rollout: server CPU time during the rollout (2 cores)",
          String.format(Locale.ROOT, "%.1f s (%.0f %% of one core)", cpu, 100 * cpu / seconds),
          "");
      row.row(
          "Rollout: simulator CPU time ("
              + devices
              + " devices downloading, sha256-verifying, writing to disk)",
          String.format(
              Locale.ROOT, "%.1f s (%.0f %% of one core)", simCpu, 100 * simCpu / seconds),
          "");
      row.row(
          "Rollout: server peak RSS (VmHWM, " + devices + " streams + the rollout)",
          Benchmarks.mb(server.peakRssBytes()),
          "");
    }
  }

  /** CPU time of this JVM (the simulator runs in it), in seconds. */
  private static double ownCpuSeconds() {
    return ProcessHandle.current()
        .info()
        .totalCpuDuration()
        .map(d -> d.toNanos() / 1e9)
        .orElse(-1.0);
  }

  private static String stateOf(AdminClient admin, String id) {
    for (JsonNode summary : admin.get("/api/v1/rollouts?model=bench-rollout")) {
      if (summary.path("id").asText().equals(id)) {
        return summary.path("state").asText();
      }
    }
    throw new IllegalStateException("rollout " + id + " is not listed");
  }
}
