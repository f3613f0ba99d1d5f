package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The spine's benchmarks (docs/benchmarks.md), run by {@code e2e/bench.sh}: server start and
 * footprint, agent start and footprint, local inference overhead against OrtSession.run, and a 100
 * MB artifact download against curl from a static server on loopback, all in one run. Prints a
 * Markdown report on standard output and progress on standard error.
 */
public final class Benchmarks {

  private static final int SERVER_STARTS = 3;
  private static final int AGENT_STARTS = 3;
  private static final int INFER_ITERATIONS = 3000;
  private static final int DOWNLOAD_RUNS = 3;
  private static final int INGEST_STEPS = Integer.getInteger("modelfleet.bench.ingestSteps", 4);
  private static final int INGEST_DEVICES_PER_STEP =
      Integer.getInteger("modelfleet.bench.ingestDevicesPerStep", 2000);
  private static final int TLS_DEVICES = Integer.getInteger("modelfleet.bench.tlsDevices", 1000);
  private static final int ROLLOUT_DEVICES =
      Integer.getInteger("modelfleet.bench.rolloutDevices", 1000);
  private static final int PUSH_ROUNDS = Integer.getInteger("modelfleet.bench.pushRounds", 5);
  private static final int WATCHERS = Integer.getInteger("modelfleet.bench.watchers", 10);
  private static final int SCALE_DEVICES =
      Integer.getInteger("modelfleet.bench.scaleDevices", 50_000);
  private static final int SCALE_STEPS = Integer.getInteger("modelfleet.bench.scaleSteps", 10);
  private static final int SCALE_HOLD_MINUTES =
      Integer.getInteger("modelfleet.bench.scaleHoldMinutes", 10);

  /**
   * The large fleet's server as docs/operations.md sizes one for 50,000 agents: a 1.5 GB heap and
   * G1 with a short pause goal (the deployed SerialGC's young collections over a heap this full of
   * streams took 70-220 ms, straight into heartbeat latency). The enrollment rate limit is raised
   * for one simulator address enrolling them all.
   */
  private static final List<String> SCALE_SERVER_FLAGS =
      List.of(
          System.getProperty(
                  "modelfleet.bench.scaleServerFlags",
                  "-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xms1g -Xmx1536m -XX:-UsePerfData")
              .split(" "));

  private final RepoLayout repo = RepoLayout.find();
  private final Path work;
  private final List<String> rows = new ArrayList<>();

  private Benchmarks(Path work) {
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    Path work = RepoLayout.find().root().resolve("e2e/target/bench-work");
    if (Files.exists(work)) {
      DownloadBench.deleteRecursively(work);
    }
    Files.createDirectories(work);
    String database = args.length > 0 ? args[0] : "modelfleet_bench";
    Set<String> sections =
        args.length > 1
            ? Set.of(Arrays.copyOfRange(args, 1, args.length))
            : Set.of(
                "server",
                "agent",
                "download",
                "download-mtls",
                "hardware",
                "rollout",
                "ingest",
                "tls",
                "cli-push",
                "cli-watch");
    new Benchmarks(work).run(database, sections);
  }

  /**
   * {@code sections}: any of server, agent, download, download-mtls, hardware, rollout, ingest,
   * tls, cli-push, cli-watch (all by default).
   */
  private void run(String database, Set<String> sections) throws Exception {
    OptionalDouble curl = OptionalDouble.empty();
    if (sections.contains("download") || sections.contains("rollout")) {
      progress("loopback baseline: static HTTP server + curl, 100 MB x3");
      curl = LoopbackBaseline.medianMbPerSecond(repo, 100, 3);
    }
    List<Long> serverStarts = new ArrayList<>();
    for (int i = 1; i < SERVER_STARTS && sections.contains("server"); i++) {
      progress("server start " + i + "/" + SERVER_STARTS);
      try (ServerProcess server =
          ServerProcess.start(repo, work, database, ServerProcess.PLAINTEXT_AGENTS)) {
        serverStarts.add(server.startToReady().toMillis());
      }
    }
    // the sections that share one server; the others (shadow alone, say) need not wait for it
    if (!java.util.Collections.disjoint(
        sections, Set.of("server", "agent", "download", "hardware", "footprint"))) {
      progress("server start " + SERVER_STARTS + "/" + SERVER_STARTS);
      // plaintext agent port throughout: the download and fleet benchmarks use the agent protocol
      // directly (one connection for many devices), and the figures stay comparable with earlier
      // ones
      try (ServerProcess server =
              ServerProcess.start(repo, work, database, ServerProcess.PLAINTEXT_AGENTS);
          Fleet fleet = new Fleet(repo, server, work)) {
        if (sections.contains("server")) {
          serverStarts.add(server.startToReady().toMillis());
          Waits.sleep(Duration.ofSeconds(5));
          row(
              "Server: start to ready (JVM start until /q/health/ready is 200)",
              "median " + median(serverStarts) + " ms of " + serverStarts,
              "≤ 3000 ms");
          row("Server: idle RSS after start", mb(server.rssBytes()), "≤ 250 MB");
        }
        Path silero = repo.sharedModel("silero_vad_v5.onnx").orElse(null);
        if (silero == null) {
          progress("../shared/models is absent: skipping the Silero VAD figures");
        } else if (sections.contains("agent")) {
          agentFigures(fleet, silero);
        }
        if (silero != null && sections.contains("footprint")) {
          footprint(fleet, silero);
        }
        if (sections.contains("download")) {
          download(fleet, server, curl);
        }
        if (sections.contains("hardware")) {
          hardware(fleet);
        }
        row("Server: RSS after the runs above", mb(server.rssBytes()), "");
      }
    }
    if (sections.contains("rollout")) {
      progress("rollout: a fresh server for the rollout benchmark");
      Files.createDirectories(work.resolve("rollout"));
      try (ServerProcess server =
          ServerProcess.start(
              repo, work.resolve("rollout"), database, ServerProcess.PLAINTEXT_AGENTS)) {
        RolloutBench.run(server, work.resolve("rollout"), ROLLOUT_DEVICES, curl, this::row);
      }
    }
    if (sections.contains("ingest")) {
      progress("ingest: a fresh server for the heartbeat ingest benchmark");
      Files.createDirectories(work.resolve("ingest"));
      try (ServerProcess server =
          ServerProcess.start(
              repo, work.resolve("ingest"), database, ServerProcess.PLAINTEXT_AGENTS)) {
        IngestBench.run(
            server, work.resolve("ingest"), INGEST_STEPS, INGEST_DEVICES_PER_STEP, 1000, this::row);
      }
    }
    if (sections.contains("rollout-fleet")) {
      progress(
          "fleet rollout: a server per store (filesystem, S3Proxy, mutual TLS), interleaved with"
              + " baselines");
      Files.createDirectories(work.resolve("fleet"));
      FleetRolloutBench.run(
          repo,
          work.resolve("fleet"),
          database + "_fleet",
          ROLLOUT_DEVICES,
          Integer.getInteger("modelfleet.bench.fleetRounds", 3),
          this::row);
    }
    if (sections.contains("scale")) {
      progress("scale: a fresh server for " + SCALE_DEVICES + " devices");
      Files.createDirectories(work.resolve("scale"));
      Map<String, String> env = new java.util.HashMap<>(ServerProcess.PLAINTEXT_AGENTS);
      env.put("MODELFLEET_ENROLLMENT_RATE_PER_SECOND", "5000");
      env.put("MODELFLEET_ENROLLMENT_BURST", "5000");
      try (ServerProcess server =
          ServerProcess.start(repo, work.resolve("scale"), database, env, SCALE_SERVER_FLAGS)) {
        ScaleBench.run(
            server,
            work.resolve("scale"),
            SCALE_DEVICES,
            SCALE_STEPS,
            Duration.ofMinutes(SCALE_HOLD_MINUTES),
            this::row);
      }
    }
    if (sections.contains("shadow")) {
      progress("shadow: a fresh server (heartbeats every second) for the shadowing figures");
      Files.createDirectories(work.resolve("shadow"));
      Map<String, String> env = new java.util.HashMap<>(ServerProcess.PLAINTEXT_AGENTS);
      env.put("MODELFLEET_HEARTBEAT_INTERVAL", "1s");
      try (ServerProcess server = ServerProcess.start(repo, work.resolve("shadow"), database, env);
          Fleet fleet = new Fleet(repo, server, work.resolve("shadow"))) {
        ShadowBench.run(fleet, this::row);
      }
    }
    if (sections.contains("selfupdate")) {
      progress("selfupdate: a fresh server (heartbeats every 2 s) for the agent's self-update");
      Files.createDirectories(work.resolve("selfupdate"));
      Map<String, String> env = new java.util.HashMap<>();
      env.put("MODELFLEET_HEARTBEAT_INTERVAL", "2s");
      try (ServerProcess server =
              ServerProcess.start(repo, work.resolve("selfupdate"), database, env);
          Fleet fleet = new Fleet(repo, server, work.resolve("selfupdate"))) {
        SelfUpdateBench.run(
            fleet,
            repo,
            work.resolve("selfupdate"),
            Integer.parseInt(
                System.getenv().getOrDefault("MODELFLEET_BENCH_SELFUPDATE_ROUNDS", "3")),
            this::row);
      }
    }
    if (sections.contains("cli-push") || sections.contains("cli-watch")) {
      progress("cli: a fresh server for the command line's figures");
      Files.createDirectories(work.resolve("cli"));
      try (ServerProcess server =
          ServerProcess.start(
              repo, work.resolve("cli"), database, ServerProcess.PLAINTEXT_AGENTS)) {
        if (sections.contains("cli-push")) {
          CliBench.push(repo, server, work.resolve("cli"), PUSH_ROUNDS, this::row);
        }
        if (sections.contains("cli-watch")) {
          WatchBench.run(repo, server, work.resolve("cli"), ROLLOUT_DEVICES, WATCHERS, this::row);
        }
      }
    }
    if (sections.contains("download-mtls")) {
      Files.createDirectories(work.resolve("download-mtls"));
      MutualTlsDownloadBench.run(repo, work.resolve("download-mtls"), database, this::row);
    }
    if (sections.contains("tls")) {
      Files.createDirectories(work.resolve("tls"));
      TlsBench.run(repo, work.resolve("tls"), database, TLS_DEVICES, this::row);
    }
    System.out.println("Machine: " + machine() + "; date " + LocalDate.now() + "\n");
    System.out.println("| what | measured | target |");
    System.out.println("| --- | --- | --- |");
    rows.forEach(System.out::println);
  }

  private void agentFigures(Fleet fleet, Path silero) throws Exception {
    progress("agent: enroll, publish Silero VAD, activate");
    AgentProcess agent = fleet.startAgent("bench-agent", Map.of("bench", "infer"));
    fleet.createModel("silero-vad");
    fleet.createVersion("silero-vad", "5");
    fleet.uploadVariant("silero-vad", "5", silero);
    fleet.assign("silero-vad", "5", "bench=infer");
    fleet.awaitActive("silero-vad", "5", List.of(agent), Duration.ofMinutes(2), line -> {});
    Waits.sleep(Duration.ofSeconds(5));
    row("Agent: idle RSS, Silero VAD loaded, connected", mb(agent.rssBytes()), "≤ 110 MB");

    progress("inference: " + INFER_ITERATIONS + " calls direct and over HTTP");
    InferBench.Result infer =
        InferBench.run(silero, agent.inferenceUri(), "silero-vad", INFER_ITERATIONS);
    row(
        "Infer, Silero VAD: OrtSession.run in one JVM (baseline)",
        String.format(
            "p50 %.3f ms, p99 %.3f ms",
            infer.direct().medianMillis(), infer.direct().percentileMillis(99)),
        "");
    row(
        "Infer, Silero VAD: agent POST /v2/models/silero-vad/infer, keep-alive HTTP/1.1",
        String.format(
            "p50 %.3f ms, p99 %.3f ms",
            infer.http().medianMillis(), infer.http().percentileMillis(99)),
        "");
    row(
        "Infer: p50 overhead of the agent's HTTP API over OrtSession.run",
        String.format("%.3f ms", infer.http().medianMillis() - infer.direct().medianMillis()),
        "≤ 0.3 ms");

    List<Long> starts = new ArrayList<>();
    AgentProcess current = agent;
    for (int i = 0; i < AGENT_STARTS; i++) {
      progress("agent restart " + (i + 1) + "/" + AGENT_STARTS + " with its server unreachable");
      current.close();
      long begin = System.nanoTime();
      current =
          AgentProcess.start(
              repo,
              "bench-agent-offline-" + i,
              "127.0.0.1:" + Ports.free(),
              null,
              work.resolve("root.pub.pem"),
              agent.stateDir());
      awaitModelReady(current.inferenceUri(), "silero-vad");
      starts.add((System.nanoTime() - begin) / 1_000_000);
    }
    current.close();
    row(
        "Agent: process start to ready, Silero VAD on disk, server unreachable",
        "median " + median(starts) + " ms of " + starts,
        "≤ 1000 ms");
    protocolFigures(fleet, silero);
  }

  /**
   * The agent's footprint against a baseline build, interleaved (FootprintBench): the baseline's
   * jar from -Dmodelfleet.bench.baselineJar (e2e/bench.sh footprint builds it from a git ref), run
   * with -Dmodelfleet.bench.baselineJvmFlags (default: the flags main shipped with on 2026-12-07,
   * after the first footprint work); without a baseline, this build alone.
   * -Dmodelfleet.bench.footprintVariants adds this jar with other JVM flags.
   */
  private void footprint(Fleet fleet, Path silero) throws Exception {
    List<AgentProcess.Build> builds = new ArrayList<>();
    String baselineJar = System.getProperty("modelfleet.bench.baselineJar", "");
    if (!baselineJar.isBlank()) {
      builds.add(
          new AgentProcess.Build(
              "baseline",
              Path.of(baselineJar).toAbsolutePath(),
              List.of(
                  System.getProperty(
                          "modelfleet.bench.baselineJvmFlags",
                          "-XX:+UseSerialGC -Xmx48m -Xmn8m -Xss512k -XX:TieredStopAtLevel=1"
                              + " -XX:ReservedCodeCacheSize=24m -XX:-UsePerfData"
                              + " -XX:+IgnoreUnrecognizedVMOptions -XX:TrimNativeHeapInterval=5000")
                      .split(" "))));
    }
    builds.add(AgentProcess.Build.of(repo));
    // More JVM flag sets for this jar, to measure each change alone: "name=flags;name=flags"
    for (String variant : System.getProperty("modelfleet.bench.footprintVariants", "").split(";")) {
      if (variant.contains("=")) {
        String name = variant.substring(0, variant.indexOf('='));
        String flags = variant.substring(variant.indexOf('=') + 1).trim();
        builds.add(new AgentProcess.Build(name, repo.agentJar(), List.of(flags.split(" +"))));
      }
    }
    FootprintBench.run(
        fleet,
        silero,
        builds,
        Integer.getInteger("modelfleet.bench.footprintRounds", 3),
        (what, measured) -> row(what, measured, ""));
  }

  /**
   * JSON REST, binary REST and Open Inference Protocol gRPC against OrtSession.run, interleaved
   * (ProtocolBench), on an agent of its own with its gRPC port on, so that the figures above stay
   * those of the default configuration.
   */
  private void protocolFigures(Fleet fleet, Path silero) throws Exception {
    progress("protocols: an agent with its gRPC port on, Silero VAD and the PaddleOCR classifier");
    AgentProcess agent =
        fleet.startAgent(
            "bench-protocols", Map.of("bench", "infer", "protocols", "on"), "--grpc-port", "0");
    try {
      Path cls = silero.resolveSibling("ch_ppocr_mobile_v2.0_cls_infer.onnx");
      boolean withCls = Files.isRegularFile(cls);
      if (withCls) {
        fleet.createModel("ppocr-cls");
        fleet.createVersion("ppocr-cls", "1");
        fleet.uploadVariant("ppocr-cls", "1", cls);
        fleet.assign("ppocr-cls", "1", "protocols=on");
        fleet.awaitActive("ppocr-cls", "1", List.of(agent), Duration.ofMinutes(2), line -> {});
      }
      // Its own assignment: whether one made earlier reaches a device enrolled since is not
      // this benchmark's question.
      fleet.assign("silero-vad", "5", "protocols=on");
      fleet.awaitActive("silero-vad", "5", List.of(agent), Duration.ofMinutes(2), line -> {});
      Path grpcPortFile = agent.stateDir().resolve("inference-grpc.port");
      Waits.until(
          "the agent's gRPC port file", Duration.ofSeconds(30), () -> Files.exists(grpcPortFile));
      int grpcPort = Integer.parseInt(Files.readString(grpcPortFile).trim());
      int httpPort = agent.inferenceUri().getPort();
      java.util.function.Consumer<String> table =
          line -> {
            String[] cells = line.split("\\|");
            row(
                "Infer, " + cells[1].trim() + ": " + cells[2].trim(),
                cells[3].trim() + " p50; overhead " + cells[4].trim(),
                "");
          };
      ProtocolBench.measure(
          "silero-vad", silero, ProtocolBench.vadInputs(), httpPort, grpcPort, 7, 400, table);
      if (withCls) {
        ProtocolBench.measure(
            "ppocr-cls", cls, ProtocolBench.clsInputs(cls), httpPort, grpcPort, 7, 60, table);
      }
      row(
          "Agent: RSS with its gRPC port on, Silero VAD"
              + (withCls ? " and PaddleOCR cls" : "")
              + " loaded, after the protocol runs",
          mb(agent.rssBytes()),
          "");
    } finally {
      agent.close();
    }
  }

  private void download(Fleet fleet, ServerProcess server, OptionalDouble curl) throws Exception {
    progress("download: enroll a device, publish a 100 MB model");
    AgentProcess device = fleet.startAgent("bench-downloader", Map.of("bench", "download"));
    Waits.until(
        "the agent to store its identity",
        Duration.ofSeconds(30),
        () -> Files.exists(device.stateDir().resolve("identity.json")));
    // Stopped: the benchmark downloads with this device's identity and the agent's own code,
    // without the agent process competing for the two cores.
    device.close();
    byte[] big = SampleModels.classifier(42, 1024, 25_600, 2);
    fleet.createModel("bench-blob");
    fleet.createVersion("bench-blob", "1");
    long uploadStart = System.nanoTime();
    JsonNode variant = fleet.uploadVariant("bench-blob", "1", big);
    double uploadSeconds = (System.nanoTime() - uploadStart) / 1e9;
    fleet.assign("bench-blob", "1", "bench=download");
    row(
        "Upload: " + mb(big.length) + " variant (stream, sha256, ONNX Runtime check, sign)",
        String.format("%.2f s (%.0f MB/s)", uploadSeconds, big.length / 1048576.0 / uploadSeconds),
        "");

    double http = downloadOver(DownloadBench.Transport.HTTP, device, server, variant, big.length);
    double grpc = downloadOver(DownloadBench.Transport.GRPC, device, server, variant, big.length);
    List<Double> curlFromServer = DownloadBench.curlFromServer(device, server, variant, work, 3);
    if (!curlFromServer.isEmpty()) {
      row(
          "Download: curl from the server's HTTP endpoint (server cost alone)",
          String.format(
              "median %.0f MB/s of %s", medianDouble(curlFromServer), format(curlFromServer)),
          "");
    }
    if (curl.isPresent()) {
      row(
          "Download: baseline curl from a static server on loopback, 100 MB",
          String.format("median %.0f MB/s", curl.getAsDouble()),
          "");
      row(
          "Download: ratio agent / curl, HTTP path (the agent's default)",
          String.format("%.2f", http / curl.getAsDouble()),
          "≥ 0.8");
      row(
          "Download: ratio agent / curl, gRPC FetchArtifact (fallback path)",
          String.format("%.2f", grpc / curl.getAsDouble()),
          "");
    }
  }

  private double downloadOver(
      DownloadBench.Transport transport,
      AgentProcess device,
      ServerProcess server,
      JsonNode variant,
      long size)
      throws Exception {
    progress("download: " + DOWNLOAD_RUNS + " runs of the agent's downloader over " + transport);
    List<Double> rates = DownloadBench.run(device, server, variant, work, DOWNLOAD_RUNS, transport);
    double median = medianDouble(rates);
    row(
        "Download over " + transport + ": " + mb(size) + " artifact, written + sha256 verified",
        String.format("median %.0f MB/s of %s", median, format(rates)),
        "");
    return median;
  }

  private void hardware(Fleet fleet) throws Exception {
    progress("hardware: the agent's micro-benchmark, 5 runs");
    HardwareBench.microBenchmark(5, work, (what, measured) -> row(what, measured, ""));
    AgentProcess agent = fleet.startAgent("bench-trials", Map.of("bench", "trials"));
    String deviceId = fleet.deviceIdOf(agent);
    for (String model : List.of("silero_vad_v5.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx")) {
      Path file = repo.sharedModel(model).orElse(null);
      if (file != null) {
        progress("hardware: trial of " + model + " on a real agent");
        HardwareBench.trial(
            fleet,
            deviceId,
            "trial-" + model.replaceAll("[^a-z0-9]", "-"),
            file,
            (what, measured) -> row(what, measured, ""));
      }
    }
    agent.close();
  }

  private static void awaitModelReady(URI agent, String model) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready =
        HttpRequest.newBuilder(agent.resolve("/v2/models/" + model + "/ready")).build();
    Waits.until(
        model + " ready on " + agent,
        Duration.ofSeconds(30),
        () -> {
          try {
            return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
          } catch (java.io.IOException e) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        });
  }

  private void row(String what, String measured, String target) {
    String line = "| " + what + " | " + measured + " | " + target + " |";
    rows.add(line);
    System.err.println("bench: " + what + ": " + measured);
  }

  static void progress(String text) {
    System.err.println("bench: " + text + " ...");
  }

  static String mb(long bytes) {
    return String.format("%.0f MB", bytes / 1048576.0);
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static double medianDouble(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static String format(List<Double> rates) {
    return rates.stream().map(r -> String.format("%.0f", r)).toList().toString();
  }

  private static String machine() throws java.io.IOException {
    String cpu =
        Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
            .filter(l -> l.startsWith("model name"))
            .findFirst()
            .map(l -> l.substring(l.indexOf(':') + 1).trim())
            .orElse("unknown CPU");
    return cpu
        + ", "
        + Runtime.getRuntime().availableProcessors()
        + " cores, "
        + System.getProperty("java.vm.name")
        + " "
        + System.getProperty("java.version")
        + ", PostgreSQL autovacuum "
        + autovacuum();
  }

  /**
   * PostgreSQL's autovacuum setting, as psql reads it: a fleet's tables bloat and keep stale
   * statistics without it, so figures taken with it off are not what a production server sees.
   */
  private static String autovacuum() {
    try {
      Process psql =
          new ProcessBuilder("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show autovacuum")
              .redirectErrorStream(true)
              .start();
      String value = new String(psql.getInputStream().readAllBytes()).strip();
      return psql.waitFor() == 0 ? value : "unknown (" + value + ")";
    } catch (java.io.IOException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
