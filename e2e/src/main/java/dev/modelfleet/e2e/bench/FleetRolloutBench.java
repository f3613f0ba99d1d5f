package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.RolloutDefaults;
import dev.modelfleet.e2e.S3ProxyServer;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.sim.SimulatedFleet;
import dev.modelfleet.e2e.sim.SimulatorOptions;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A rollout of a 10 MB model to 1,000 simulated devices in four waves, against the baseline that
 * does the same transfers without a control plane (nginx on loopback and curl, 32 at a time: {@code
 * loopback-baseline.sh --fleet}), in the two ways devices can treat the bytes (written to a file
 * each, or hashed and discarded) and with the two artifact stores (the server's own disk, and
 * S3Proxy, from which devices download by presigned URL) and, as deployed, under mutual TLS (the
 * server's own disk; each device enrolled with a certificate request, on its own TLS connection,
 * downloading over the HTTPS artifact port with its device certificate). Rounds are interleaved:
 * baseline, rollouts, baseline, rollouts..., each rollout a fresh version to the same devices.
 * {@code -Dmodelfleet.bench.fleetStands=filesystem,s3,mtls} (the default; or the environment's
 * MODELFLEET_BENCH_FLEET_STANDS) picks the servers.
 */
final class FleetRolloutBench {

  private static final int PARALLEL = 32;
  private static final int SIZE_MB = 10;

  private FleetRolloutBench() {}

  private record Setting(String store, String sink) {
    String label() {
      return store + ", devices " + ("disk".equals(sink) ? "writing to disk" : "hashing");
    }
  }

  static void run(
      RepoLayout repo, Path work, String database, int devices, int rounds, ReportRows report)
      throws Exception {
    Map<Setting, List<Double>> rollouts = new LinkedHashMap<>();
    Map<String, List<Double>> baselines = new LinkedHashMap<>();
    Map<Setting, List<Double>> ratios = new LinkedHashMap<>();
    Map<String, Long> servedThroughServer = new HashMap<>();
    List<String> wanted =
        List.of(
            System.getProperty(
                    "modelfleet.bench.fleetStands",
                    System.getenv()
                        .getOrDefault("MODELFLEET_BENCH_FLEET_STANDS", "filesystem,s3,mtls"))
                .split(","));
    Map<String, Stand> stands = new LinkedHashMap<>();
    S3ProxyServer s3 = null;
    try {
      if (wanted.contains("filesystem")) {
        Files.createDirectories(work.resolve("fs"));
        stands.put(
            "filesystem store",
            Stand.start(
                repo, work.resolve("fs"), database, ServerProcess.PLAINTEXT_AGENTS, devices));
      }
      if (wanted.contains("s3")) {
        Files.createDirectories(work.resolve("s3"));
        s3 = S3ProxyServer.start(work.resolve("s3"), "modelfleet-bench");
        Map<String, String> env = new HashMap<>(ServerProcess.PLAINTEXT_AGENTS);
        env.putAll(s3.serverEnv("modelfleet-bench"));
        stands.put(
            "S3Proxy store", Stand.start(repo, work.resolve("s3"), database + "_s3", env, devices));
      }
      if (wanted.contains("mtls")) {
        Files.createDirectories(work.resolve("mtls"));
        stands.put(
            "filesystem store, mutual TLS (HTTPS path)",
            Stand.start(
                repo,
                work.resolve("mtls"),
                database + "_mtls",
                Map.of("MODELFLEET_AGENT_TLS_ARTIFACT_PORT", Integer.toString(Ports.free())),
                devices));
      }
      // -Dmodelfleet.bench.fleetSinks=sha256 narrows a profiling run to one device mode
      List<String> sinks =
          List.of(System.getProperty("modelfleet.bench.fleetSinks", "disk,sha256").split(","));
      for (int round = 1; round <= rounds; round++) {
        for (String sink : sinks) {
          Benchmarks.progress(
              "fleet rollout: round "
                  + round
                  + "/"
                  + rounds
                  + ", baseline --fleet "
                  + devices
                  + " "
                  + SIZE_MB
                  + " "
                  + PARALLEL
                  + " "
                  + sink);
          OptionalDouble baseline =
              LoopbackBaseline.fleetSeconds(repo, devices, SIZE_MB, PARALLEL, sink, 1);
          if (baseline.isPresent()) {
            baselines.computeIfAbsent(sink, k -> new ArrayList<>()).add(baseline.getAsDouble());
          }
          for (Map.Entry<String, Stand> entry : stands.entrySet()) {
            Stand stand = entry.getValue();
            Setting setting = new Setting(entry.getKey(), sink);
            double seconds = stand.rollout(sink, round);
            Benchmarks.progress(
                String.format(Locale.ROOT, "fleet rollout: %s: %.1f s", setting.label(), seconds));
            rollouts.computeIfAbsent(setting, k -> new ArrayList<>()).add(seconds);
            if (baseline.isPresent()) {
              ratios
                  .computeIfAbsent(setting, k -> new ArrayList<>())
                  .add(seconds / baseline.getAsDouble());
            }
          }
        }
      }
      for (Map.Entry<String, Stand> entry : stands.entrySet()) {
        servedThroughServer.put(entry.getKey(), entry.getValue().bytesServed());
      }
    } finally {
      stands.values().forEach(Stand::close);
      if (s3 != null) {
        s3.close();
      }
    }
    baselines.forEach(
        (sink, seconds) ->
            report.row(
                String.format(
                    Locale.ROOT,
                    "Fleet baseline: nginx → curl, %,d × %d MB, %d at a time, %s",
                    devices,
                    SIZE_MB,
                    PARALLEL,
                    "disk".equals(sink) ? "each to a file" : "hashed and discarded"),
                "seconds per round " + format(seconds),
                ""));
    rollouts.forEach(
        (setting, seconds) -> {
          List<Double> r = ratios.getOrDefault(setting, List.of());
          report.row(
              String.format(
                  Locale.ROOT,
                  "Rollout %,d × %d MB, 4 waves, %s",
                  devices,
                  SIZE_MB,
                  setting.label()),
              String.format(
                  Locale.ROOT,
                  "seconds per round %s; **ratio to the baseline of the same round: median %.2f"
                      + " (%s)**",
                  format(seconds),
                  median(r),
                  format(r)),
              "disk".equals(setting.sink()) ? "≤ 1.1" : "≤ 1.5");
        });
    report.row(
        "Rollout: artifact bytes the server itself sent (all rounds)",
        servedThroughServer.entrySet().stream()
            .map(
                e -> String.format(Locale.ROOT, "%s %.0f MB", e.getKey(), e.getValue() / 1048576.0))
            .reduce((a, b) -> a + "; " + b)
            .orElse("-"),
        "");
  }

  /**
   * One server with two fleets of simulated devices: one writing downloads to disk, one hashing.
   */
  private static final class Stand implements AutoCloseable {
    private final ServerProcess server;
    private final Map<String, SimulatedFleet> fleets = new HashMap<>();
    private final Path work;
    private final int devices;

    private Stand(ServerProcess server, Path work, int devices) {
      this.server = server;
      this.work = work;
      this.devices = devices;
    }

    static Stand start(
        RepoLayout repo, Path work, String database, Map<String, String> env, int devices)
        throws Exception {
      ensureDatabase(repo, database);
      Map<String, String> all = new HashMap<>(env);
      all.put("MODELFLEET_ENROLLMENT_RATE_PER_SECOND", "5000");
      all.put("MODELFLEET_ENROLLMENT_BURST", "5000");
      ServerProcess server = ServerProcess.start(repo, work, database, all);
      Stand stand = new Stand(server, work, devices);
      try {
        AdminClient admin = server.admin();
        admin.post("/api/v1/models", Map.of("name", "bench-fleet"));
        Path rootKey = work.resolve("root.pub.pem");
        Files.writeString(rootKey, admin.getText("/api/v1/trust/root.pem"));
        Path serverCa = null;
        if (server.mutualTls()) {
          serverCa = work.resolve("fleet-ca.pem");
          Files.writeString(serverCa, admin.getText("/api/v1/trust/fleet-ca.pem"));
        }
        for (String sink : List.of("disk", "sha256")) {
          JsonNode token =
              admin.post(
                  "/api/v1/enrollment-tokens",
                  Map.of(
                      "name",
                      "bench-fleet-" + sink,
                      "labels",
                      Map.of("sink", sink),
                      "maxUses",
                      devices,
                      "expiresInSeconds",
                      7200));
          List<String> args =
              new ArrayList<>(
                  List.of(
                      "--server", server.grpcTarget(),
                      "--token", token.path("token").asText(),
                      "--devices", Integer.toString(devices),
                      "--download-path", serverCa == null ? "http" : "https",
                      "--download-concurrency", Integer.toString(PARALLEL),
                      "--root-key", rootKey.toString(),
                      "--name-prefix", "bench-" + sink));
          if (serverCa != null) {
            args.addAll(List.of("--server-ca", serverCa.toString()));
          }
          if ("disk".equals(sink)) {
            Path downloads = Files.createDirectories(work.resolve("downloads"));
            args.addAll(List.of("--download-dir", downloads.toString()));
          }
          SimulatedFleet fleet =
              SimulatedFleet.start(SimulatorOptions.parse(args.toArray(String[]::new)), null);
          stand.fleets.put(sink, fleet);
          // under mutual TLS each device makes a key, is issued a certificate and opens a TLS
          // connection of its own: on a loaded 2-core machine 1,000 of them took over 5 minutes
          Waits.until(
              devices + " devices connected (" + sink + ")",
              Duration.ofMinutes(server.mutualTls() ? 15 : 5),
              () -> fleet.snapshot().connected() == devices);
        }
        return stand;
      } catch (Exception | Error e) {
        stand.close();
        throw e;
      }
    }

    /** Publishes a new version and rolls it out to the fleet of {@code sink}; seconds taken. */
    double rollout(String sink, int round) throws Exception {
      AdminClient admin = server.admin();
      String version = sink + "-" + round;
      admin.post("/api/v1/models/bench-fleet/versions", Map.of("version", version));
      // a different seed each time: no device holds these bytes yet
      byte[] bytes = SampleModels.classifier(1000 + round * 10 + sink.length(), 1024, 2560, 2);
      admin.upload(
          "/api/v1/models/bench-fleet/versions/"
              + version
              + "/variants?precision=fp32&executionProvider=cpu",
          bytes);
      Waits.sleep(Duration.ofSeconds(2));
      long start = System.nanoTime();
      String id =
          admin
              .post(
                  "/api/v1/rollouts",
                  Map.of(
                      "model",
                      "bench-fleet",
                      "version",
                      version,
                      "selector",
                      "sink=" + sink,
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
      while (true) {
        JsonNode view = admin.get("/api/v1/rollouts/" + id);
        String state = view.path("state").asText();
        if (state.equals("completed")) {
          return (System.nanoTime() - start) / 1e9;
        }
        if (!state.equals("running")) {
          throw new IllegalStateException(
              "the benchmark rollout stopped: " + view.path("stateReason").asText());
        }
        Thread.sleep(250);
      }
    }

    /** modelfleet_artifact_served_bytes_total over every path, from the server's metrics. */
    long bytesServed() throws Exception {
      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(server.baseUri().resolve(URI.create("/q/metrics")))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      double total = 0;
      for (String line : metrics.body().split("\n")) {
        if (line.startsWith("modelfleet_artifact_served_bytes_total")) {
          total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return (long) total;
    }

    @Override
    public void close() {
      fleets.values().forEach(SimulatedFleet::close);
      server.close();
    }
  }

  private static void ensureDatabase(RepoLayout repo, String database) throws Exception {
    Process process =
        new ProcessBuilder(
                "bash",
                repo.root().resolve("deploy/dev/ensure-postgres.sh").toString(),
                "--recreate",
                database)
            .redirectErrorStream(true)
            .start();
    process.getInputStream().readAllBytes();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("could not create the database " + database);
    }
  }

  private static String format(List<Double> values) {
    return values.stream()
        .map(v -> String.format(Locale.ROOT, "%.2f", v))
        .reduce((a, b) -> a + ", " + b)
        .orElse("-");
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
  }
}
