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
import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One server process holding a large fleet (50,000 simulated devices by default, heartbeat every 15
 * s as deployed agents do): how long they take to join and what ingest costs meanwhile, then a
 * steady hold (10 minutes by default) sampled every 30 s for RSS, CPU, ingest latency, streams and
 * reconnects, then a rollout of a 1 MB model to every device in four waves.
 *
 * <p>The simulator multiplexes its devices' streams over a few HTTP/2 connections (one per joining
 * step), so the figures are the control plane's per-device cost (streams, state, heartbeats,
 * desired states), not the kernel's per-connection cost: this machine caps a process at 20,000 open
 * files, below one socket per device.
 */
final class ScaleBench {

  private static final int HEARTBEAT_MILLIS = 15_000;
  private static final Duration SAMPLE = Duration.ofSeconds(30);

  private ScaleBench() {}

  /** A 1 MB model: the classifier's 1024 × 256 float weights. */
  static byte[] oneMegabyteModel() {
    return SampleModels.classifier(11, 1024, 256, 2);
  }

  static void run(
      ServerProcess server, Path work, int devices, int steps, Duration hold, ReportRows report)
      throws Exception {
    AdminClient admin = server.admin();
    Path rootKey = work.resolve("scale-root.pub.pem");
    Files.writeString(rootKey, admin.getText("/api/v1/trust/root.pem"));
    Waits.sleep(Duration.ofSeconds(3));
    long idleRss = server.rssBytes();
    int perStep = devices / steps;
    List<SimulatedFleet> fleets = new ArrayList<>();
    try {
      long joinStart = System.nanoTime();
      double joinCpuBefore = server.cpuSeconds();
      List<Double> joinP99 = new ArrayList<>();
      for (int step = 1; step <= steps; step++) {
        JsonNode token =
            admin.post(
                "/api/v1/enrollment-tokens",
                Map.of(
                    "name",
                    "bench-scale-" + step,
                    "labels",
                    Map.of("bench", "scale"),
                    "maxUses",
                    perStep,
                    "expiresInSeconds",
                    7200));
        admin.post("/api/v1/system/ingest/reset", Map.of());
        SimulatedFleet fleet =
            SimulatedFleet.start(
                SimulatorOptions.parse(
                    "--server", server.grpcTarget(),
                    "--token", token.path("token").asText(),
                    "--devices", Integer.toString(perStep),
                    "--heartbeat-millis", Integer.toString(HEARTBEAT_MILLIS),
                    "--root-key", rootKey.toString(),
                    "--name-prefix", "bench-scale-" + step),
                null);
        fleets.add(fleet);
        int before = (step - 1) * perStep;
        long stepStart = System.nanoTime();
        Waits.until(
            (before + perStep) + " devices connected",
            Duration.ofMinutes(10),
            () -> {
              FleetSnapshot now = fleet.snapshot();
              if (now.enrollFailed() > 0) {
                throw new Waits.GaveUp(
                    now.enrollFailed()
                        + " simulated devices could not enroll: "
                        + now.enrollFailures());
              }
              return now.connected() == perStep;
            });
        JsonNode stats = admin.get("/api/v1/system/ingest");
        joinP99.add(stats.path("receiptToCommitP99Ms").asDouble());
        Benchmarks.progress(
            String.format(
                Locale.ROOT,
                "scale: %d devices connected (+%d in %.0f s); ingest while joining p99 %.1f ms;"
                    + " server RSS %s",
                before + perStep,
                perStep,
                (System.nanoTime() - stepStart) / 1e9,
                stats.path("receiptToCommitP99Ms").asDouble(),
                Benchmarks.mb(server.rssBytes())));
      }
      double joinSeconds = (System.nanoTime() - joinStart) / 1e9;
      double joinCpu = server.cpuSeconds() - joinCpuBefore;
      report.row(
          String.format(
              Locale.ROOT, "Scale: %,d devices enroll and connect to one server", devices),
          String.format(
              Locale.ROOT,
              "%.0f s (%.0f devices/s), server CPU %.0f %% of one core; ingest while they join:"
                  + " receipt→commit p99 %.1f–%.1f ms per step of %,d",
              joinSeconds,
              devices / joinSeconds,
              100 * joinCpu / joinSeconds,
              joinP99.stream().mapToDouble(Double::doubleValue).min().orElse(0),
              joinP99.stream().mapToDouble(Double::doubleValue).max().orElse(0),
              perStep),
          "");

      hold(server, admin, fleets, devices, hold, idleRss, report);
      rollout(server, admin, fleets, devices, report);
    } finally {
      fleets.forEach(SimulatedFleet::close);
    }
  }

  private static void hold(
      ServerProcess server,
      AdminClient admin,
      List<SimulatedFleet> fleets,
      int devices,
      Duration hold,
      long idleRss,
      ReportRows report)
      throws Exception {
    long reconnectsBefore = reconnects(fleets);
    int samples = (int) (hold.toSeconds() / SAMPLE.toSeconds());
    List<Long> rss = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    DoubleSummaryStatistics p50 = new DoubleSummaryStatistics();
    DoubleSummaryStatistics rate = new DoubleSummaryStatistics();
    long dropped = 0;
    int fewestConnected = Integer.MAX_VALUE;
    double cpuBefore = server.cpuSeconds();
    long start = System.nanoTime();
    admin.post("/api/v1/system/ingest/reset", Map.of());
    for (int i = 1; i <= samples; i++) {
      Waits.sleep(SAMPLE);
      JsonNode stats = admin.get("/api/v1/system/ingest");
      admin.post("/api/v1/system/ingest/reset", Map.of());
      long now = server.rssBytes();
      rss.add(now);
      p99.add(stats.path("receiptToCommitP99Ms").asDouble());
      p50.accept(stats.path("receiptToCommitP50Ms").asDouble());
      rate.accept(stats.path("heartbeatsReceived").asLong() / (double) SAMPLE.toSeconds());
      dropped += stats.path("heartbeatsDropped").asLong();
      fewestConnected = Math.min(fewestConnected, stats.path("connectedDevices").asInt());
      Benchmarks.progress(
          String.format(
              Locale.ROOT,
              "scale: hold %d/%d: %d streams, %.0f heartbeats/s, receipt→commit p50 %.1f ms p99"
                  + " %.1f ms, RSS %s, simulator reconnects %d",
              i,
              samples,
              stats.path("connectedDevices").asInt(),
              stats.path("heartbeatsReceived").asLong() / (double) SAMPLE.toSeconds(),
              stats.path("receiptToCommitP50Ms").asDouble(),
              stats.path("receiptToCommitP99Ms").asDouble(),
              Benchmarks.mb(now),
              reconnects(fleets) - reconnectsBefore));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = server.cpuSeconds() - cpuBefore;
    List<Long> lastHalf = rss.subList(rss.size() / 2, rss.size());
    long lastHalfMin = lastHalf.stream().mapToLong(Long::longValue).min().orElse(0);
    long lastHalfMax = lastHalf.stream().mapToLong(Long::longValue).max().orElse(0);
    String minutes = String.format(Locale.ROOT, "%.0f min", seconds / 60);
    report.row(
        String.format(
            Locale.ROOT,
            "Scale: %,d devices held %s, heartbeat every 15 s: ingest (30 s windows)",
            devices,
            minutes),
        String.format(
            Locale.ROOT,
            "%.0f heartbeats/s; receipt→commit p50 %.1f ms, **p99 %.1f ms median, %.1f ms worst"
                + " window**; %d dropped",
            rate.getAverage(),
            p50.getAverage(),
            median(p99),
            p99.stream().mapToDouble(Double::doubleValue).max().orElse(0),
            dropped),
        "p99 ≤ 50 ms");
    report.row(
        "Scale: streams and server CPU over the hold",
        String.format(
            Locale.ROOT,
            "fewest streams open %,d of %,d; %d simulator reconnects; server CPU %.0f %% of one"
                + " core",
            fewestConnected,
            devices,
            reconnects(fleets) - reconnectsBefore,
            100 * cpu / seconds),
        "no stream dropped");
    report.row(
        "Scale: server RSS over the hold (vs " + Benchmarks.mb(idleRss) + " idle)",
        String.format(
            Locale.ROOT,
            "%s at the end, %.1f MB per 1,000 devices; last half: %s–%s (%+.1f %% first to last"
                + " sample)",
            Benchmarks.mb(rss.get(rss.size() - 1)),
            (rss.get(rss.size() - 1) - idleRss) / 1048576.0 / (devices / 1000.0),
            Benchmarks.mb(lastHalfMin),
            Benchmarks.mb(lastHalfMax),
            100.0 * (lastHalf.get(lastHalf.size() - 1) - lastHalf.get(0)) / lastHalf.get(0)),
        "flat over the last 5 minutes");
  }

  private static void rollout(
      ServerProcess server,
      AdminClient admin,
      List<SimulatedFleet> fleets,
      int devices,
      ReportRows report)
      throws Exception {
    String model = "bench-scale";
    byte[] bytes = oneMegabyteModel();
    admin.post("/api/v1/models", Map.of("name", model));
    admin.post("/api/v1/models/" + model + "/versions", Map.of("version", "1"));
    admin.upload(
        "/api/v1/models/" + model + "/versions/1/variants?precision=fp32&executionProvider=cpu",
        bytes);
    Benchmarks.progress("scale: rollout of a 1 MB model to " + devices + " devices, 4 waves");
    double cpuBefore = server.cpuSeconds();
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
                    "bench=scale",
                    "start",
                    true,
                    "waves",
                    List.of(
                        Map.of("percent", 1),
                        Map.of("percent", 10),
                        Map.of("percent", 50),
                        Map.of("percent", 100)),
                    "defaults",
                    RolloutDefaults.everyDeviceActive(0, 1800)))
            .path("id")
            .asText();
    long lastPrint = 0;
    while (true) {
      JsonNode view = admin.get("/api/v1/rollouts/" + id);
      String state = view.path("state").asText();
      if (state.equals("completed")) {
        break;
      }
      if (!state.equals("running")) {
        throw new IllegalStateException(
            "the scale rollout stopped: " + view.path("stateReason").asText());
      }
      if (System.nanoTime() - lastPrint > 5_000_000_000L) {
        int serving = fleets.stream().mapToInt(f -> f.snapshot().serving(model, "1")).sum();
        Benchmarks.progress(
            String.format(
                Locale.ROOT,
                "scale: rollout %.0f s, %d of %d active",
                (System.nanoTime() - start) / 1e9,
                serving,
                devices));
        lastPrint = System.nanoTime();
      }
      Thread.sleep(2000);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = server.cpuSeconds() - cpuBefore;
    report.row(
        String.format(
            Locale.ROOT,
            "Scale: rollout of a %.1f MB model to %,d devices, 4 waves (1/10/50/100 %%), zero soak",
            bytes.length / 1048576.0,
            devices),
        String.format(
            Locale.ROOT,
            "%.0f s create to completed (%.0f devices/s); server CPU %.0f %% of one core; server"
                + " peak RSS %s",
            seconds,
            devices / seconds,
            100 * cpu / seconds,
            Benchmarks.mb(server.peakRssBytes())),
        "");
  }

  private static long reconnects(List<SimulatedFleet> fleets) {
    return fleets.stream().mapToLong(f -> f.snapshot().reconnects()).sum();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
  }
}
