package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.sim.FleetSnapshot;
import dev.modelfleet.e2e.sim.SimulatedFleet;
import dev.modelfleet.e2e.sim.SimulatorOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Heartbeat ingest of one server process: simulated devices (real gRPC streams) are added in steps,
 * each step raising the offered heartbeat rate, and the server's own figures (receipt to commit,
 * p99) are read after each step. Also the memory a thousand idle connected agents cost.
 */
final class IngestBench {

  private static final Duration STEP = Duration.ofSeconds(15);

  private IngestBench() {}

  /**
   * @param devicesPerStep devices each step adds, each heartbeating every {@code intervalMs}
   */
  static void run(
      ServerProcess server,
      Path work,
      int steps,
      int devicesPerStep,
      int intervalMs,
      ReportRows report)
      throws Exception {
    AdminClient admin = server.admin();
    Path rootKey = work.resolve("ingest-root.pub.pem");
    Files.writeString(rootKey, admin.getText("/api/v1/trust/root.pem"));
    Waits.sleep(Duration.ofSeconds(3));
    long idleRss = server.rssBytes();
    List<SimulatedFleet> fleets = new ArrayList<>();
    String best = "none under 50 ms";
    try {
      for (int step = 1; step <= steps; step++) {
        JsonNode token =
            admin.post(
                "/api/v1/enrollment-tokens",
                Map.of(
                    "name",
                    "bench-ingest-" + step,
                    "labels",
                    Map.of("bench", "ingest"),
                    "maxUses",
                    devicesPerStep,
                    "expiresInSeconds",
                    3600));
        int devices = step * devicesPerStep;
        Benchmarks.progress(
            "ingest: enrolling " + devicesPerStep + " more devices (" + devices + " in all)");
        SimulatedFleet fleet =
            SimulatedFleet.start(
                SimulatorOptions.parse(
                    "--server", server.grpcTarget(),
                    "--token", token.path("token").asText(),
                    "--devices", Integer.toString(devicesPerStep),
                    "--heartbeat-millis", Integer.toString(intervalMs),
                    "--root-key", rootKey.toString(),
                    "--name-prefix", "bench-ingest-" + step),
                null);
        fleets.add(fleet);
        // A device the simulator gave up on would never connect: say so at once, with why,
        // instead of waiting out the timeout (every failed attempt is counted by reason).
        Waits.until(
            devicesPerStep + " devices connected",
            Duration.ofMinutes(5),
            () -> {
              FleetSnapshot now = fleet.snapshot();
              if (now.enrollFailed() > 0) {
                throw new Waits.GaveUp(
                    now.enrollFailed()
                        + " simulated devices could not enroll: "
                        + now.enrollFailures());
              }
              return now.connected() == devicesPerStep;
            });
        if (!fleet.snapshot().enrollFailures().isEmpty()) {
          Benchmarks.progress("ingest: " + fleet.snapshot().enrollFailures());
        }
        Waits.sleep(Duration.ofSeconds(3));
        admin.post("/api/v1/system/ingest/reset", Map.of());
        double cpuBefore = server.cpuSeconds();
        Waits.sleep(STEP);
        double cpu = server.cpuSeconds() - cpuBefore;
        JsonNode stats = admin.get("/api/v1/system/ingest");
        double rate = stats.path("heartbeatsReceived").asLong() / (double) STEP.toSeconds();
        double p99 = stats.path("receiptToCommitP99Ms").asDouble();
        String line =
            String.format(
                Locale.ROOT,
                "%.0f heartbeats/s from %d devices: receipt→commit p50 %.1f ms, p99 %.1f ms; sent→commit p99"
                    + " %.1f ms; %d dropped; server CPU %.0f %% of one core",
                rate,
                devices,
                stats.path("receiptToCommitP50Ms").asDouble(),
                p99,
                stats.path("p99Ms").asDouble(),
                stats.path("heartbeatsDropped").asLong(),
                100 * cpu / STEP.toSeconds());
        Benchmarks.progress("ingest: " + line);
        report.row("Heartbeat ingest, step " + step, line, "p99 < 50 ms");
        if (p99 < 50 && stats.path("heartbeatsDropped").asLong() == 0) {
          best = String.format(Locale.ROOT, "%.0f heartbeats/s", rate);
        }
      }
      report.row(
          "Heartbeat ingest: highest rate measured with p99 under 50 ms (2 cores, simulator on the same cores)",
          best,
          "");
      long connected = (long) steps * devicesPerStep;
      long rss = server.rssBytes();
      report.row(
          "Server RSS with "
              + connected
              + " connected agents (vs "
              + Benchmarks.mb(idleRss)
              + " with none)",
          String.format(
              Locale.ROOT,
              "%s, %.1f MB per 1,000 agents",
              Benchmarks.mb(rss),
              (rss - idleRss) / 1048576.0 / (connected / 1000.0)),
          "");
    } finally {
      fleets.forEach(SimulatedFleet::close);
    }
  }
}
