package dev.modelfleet.e2e.bench;

import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.Waits;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The agent's footprint (issue 20), one build against another in the same run: jar sizes, idle RSS
 * with Silero VAD loaded and connected, process start to serving with the model on disk and the
 * server unreachable, and the inference overhead of each local protocol over OrtSession.run for
 * Silero VAD and the PaddleOCR classifier. The builds alternate within every round (the order flips
 * each round), so a machine that gets busier part way through weighs on both; each figure is
 * reported per round, and as the ratio of the medians.
 */
final class FootprintBench {

  /** Reports one row: what, measured. */
  interface Rows {
    void row(String what, String measured);
  }

  private FootprintBench() {}

  static void run(
      Fleet fleet, Path silero, List<AgentProcess.Build> allBuilds, int rounds, Rows rows)
      throws Exception {
    List<AgentProcess.Build> builds = allBuilds;
    for (AgentProcess.Build build : builds) {
      rows.row("Jar, " + build.name() + ": " + build.jar().getFileName(), kb(build.jar()));
      for (Path arch : perArchitecture(build.jar())) {
        rows.row("Jar, " + build.name() + ": " + arch.getFileName(), kb(arch));
      }
      rows.row("JVM flags, " + build.name(), String.join(" ", build.jvmFlags()));
    }
    Path cls = silero.resolveSibling("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    boolean withCls = Files.isRegularFile(cls);

    Benchmarks.progress("footprint: enroll one agent per build, Silero VAD only");
    Map<AgentProcess.Build, String> idle = new LinkedHashMap<>();
    List<AgentProcess> enrolled = new ArrayList<>();
    for (AgentProcess.Build build : builds) {
      String name = "footprint-" + build.name();
      enrolled.add(fleet.startAgent(build, name, Map.of("footprint", "idle")));
      idle.put(build, name);
    }
    fleet.createModel("fp-silero");
    fleet.createVersion("fp-silero", "5");
    fleet.uploadVariant("fp-silero", "5", silero);
    fleet.assign("fp-silero", "5", "footprint=idle");
    fleet.awaitActive("fp-silero", "5", enrolled, Duration.ofMinutes(3), line -> {});
    for (AgentProcess agent : enrolled) {
      agent.close();
    }

    for (AgentProcess.Build build : builds) {
      train(fleet, build, idle.get(build));
    }

    Map<AgentProcess.Build, List<Long>> rss = new LinkedHashMap<>();
    Map<AgentProcess.Build, List<Long>> starts = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      List<AgentProcess.Build> order = new ArrayList<>(builds);
      if (round % 2 == 1) {
        Collections.reverse(order);
      }
      for (AgentProcess.Build build : order) {
        String name = idle.get(build);
        Benchmarks.progress(
            "footprint round " + (round + 1) + "/" + rounds + ": " + build.name() + " connected");
        try (AgentProcess agent = fleet.restartAgent(build, name)) {
          awaitModelReady(agent.inferenceUri(), "fp-silero");
          // settled: enrolled, synced, model verified and loaded, first heartbeats sent
          Waits.sleep(Duration.ofSeconds(8));
          rss.computeIfAbsent(build, b -> new ArrayList<>()).add(agent.rssBytes());
        }
        Benchmarks.progress(
            "footprint round " + (round + 1) + "/" + rounds + ": " + build.name() + " offline");
        long begin = System.nanoTime();
        try (AgentProcess agent =
            AgentProcess.start(
                build,
                name,
                "127.0.0.1:" + Ports.free(),
                null,
                fleet.rootKey(),
                enrolled.get(builds.indexOf(build)).stateDir())) {
          awaitModelReady(agent.inferenceUri(), "fp-silero");
          starts
              .computeIfAbsent(build, b -> new ArrayList<>())
              .add((System.nanoTime() - begin) / 1_000_000);
        }
      }
    }
    compare(rows, "Agent: idle RSS, Silero VAD loaded, connected (MiB)", builds, mb(rss), "%.0f");
    compare(
        rows,
        "Agent: process start to Silero VAD served, server unreachable (ms)",
        builds,
        asDouble(starts),
        "%.0f");

    Benchmarks.progress("footprint: one agent per build with its gRPC port on, both models");
    // the baseline and the last build (with flag variants, the one proposed)
    builds = builds.size() > 2 ? List.of(builds.get(0), builds.get(builds.size() - 1)) : builds;
    List<AgentProcess> serving = new ArrayList<>();
    List<ProtocolBench.Target> targets = new ArrayList<>();
    try {
      for (AgentProcess.Build build : builds) {
        serving.add(
            fleet.startAgent(
                build,
                "footprint-protocols-" + build.name(),
                Map.of("footprint", "protocols"),
                "--grpc-port",
                "0"));
      }
      fleet.assign("fp-silero", "5", "footprint=protocols");
      fleet.awaitActive("fp-silero", "5", serving, Duration.ofMinutes(3), line -> {});
      if (withCls) {
        fleet.createModel("fp-cls");
        fleet.createVersion("fp-cls", "1");
        fleet.uploadVariant("fp-cls", "1", cls);
        fleet.assign("fp-cls", "1", "footprint=protocols");
        fleet.awaitActive("fp-cls", "1", serving, Duration.ofMinutes(3), line -> {});
      }
      for (int i = 0; i < builds.size(); i++) {
        Path portFile = serving.get(i).stateDir().resolve("inference-grpc.port");
        Waits.until("the gRPC port file", Duration.ofSeconds(30), () -> Files.exists(portFile));
        targets.add(
            new ProtocolBench.Target(
                builds.get(i).name(),
                serving.get(i).inferenceUri().getPort(),
                Integer.parseInt(Files.readString(portFile).trim())));
      }
      java.util.function.Consumer<String> table =
          line -> {
            String[] cells = line.split("\\|");
            rows.row(
                "Infer, " + cells[1].trim() + ": " + cells[2].trim(),
                cells[3].trim() + " p50; overhead " + cells[4].trim());
          };
      int protocolRounds = Math.max(5, rounds);
      ProtocolBench.measure(
          "fp-silero", silero, ProtocolBench.vadInputs(), targets, protocolRounds, 400, table);
      if (withCls) {
        ProtocolBench.measure(
            "fp-cls", cls, ProtocolBench.clsInputs(cls), targets, protocolRounds, 60, table);
      }
      for (int i = 0; i < builds.size(); i++) {
        rows.row(
            "Agent: RSS with its gRPC port on, both models loaded, after the protocol runs, "
                + builds.get(i).name(),
            Benchmarks.mb(serving.get(i).rssBytes()));
      }
    } finally {
      for (AgentProcess agent : serving) {
        agent.close();
      }
    }
  }

  /**
   * For a build run with a class data sharing archive that does not exist yet: one connected run
   * that writes it at exit, as the launcher's first run of a release does
   * (modelfleet-agent-launcher).
   */
  private static void train(Fleet fleet, AgentProcess.Build build, String name) throws Exception {
    String prefix = "-XX:SharedArchiveFile=";
    List<String> flags = new ArrayList<>();
    boolean training = false;
    for (String flag : build.jvmFlags()) {
      if (flag.startsWith(prefix) && !Files.exists(Path.of(flag.substring(prefix.length())))) {
        flags.add("-XX:ArchiveClassesAtExit=" + flag.substring(prefix.length()));
        training = true;
      } else {
        flags.add(flag);
      }
    }
    if (training) {
      Benchmarks.progress("footprint: " + build.name() + " writes its class data archive");
      try (AgentProcess agent =
          fleet.restartAgent(new AgentProcess.Build(build.name(), build.jar(), flags), name)) {
        awaitModelReady(agent.inferenceUri(), "fp-silero");
        Waits.sleep(Duration.ofSeconds(5));
      }
    }
  }

  /** The per-architecture jars built beside {@code jar} (modelfleet-agent-linux-*.jar). */
  private static List<Path> perArchitecture(Path jar) throws IOException {
    try (Stream<Path> files = Files.list(jar.getParent())) {
      return files
          .filter(
              p -> p.getFileName().toString().matches("modelfleet-agent-linux-[a-z0-9_]+\\.jar"))
          .filter(p -> !p.equals(jar))
          .sorted()
          .toList();
    }
  }

  private static void compare(
      Rows rows,
      String what,
      List<AgentProcess.Build> builds,
      Map<AgentProcess.Build, List<Double>> values,
      String format) {
    for (AgentProcess.Build build : builds) {
      List<Double> v = values.get(build);
      rows.row(
          what + ", " + build.name(),
          "median "
              + String.format(format, ProtocolBench.median(v))
              + " of "
              + v.stream().map(d -> String.format(format, d)).toList());
    }
    List<Double> a = values.get(builds.get(0));
    for (AgentProcess.Build build : builds.subList(1, builds.size())) {
      List<Double> b = values.get(build);
      List<String> perRound = new ArrayList<>();
      for (int i = 0; i < a.size(); i++) {
        perRound.add(String.format("%.2f", b.get(i) / a.get(i)));
      }
      rows.row(
          what + ", ratio " + build.name() + " / " + builds.get(0).name(),
          String.format(
              "%.2f (medians); per round %s",
              ProtocolBench.median(b) / ProtocolBench.median(a), perRound));
    }
  }

  private static Map<AgentProcess.Build, List<Double>> mb(Map<AgentProcess.Build, List<Long>> in) {
    Map<AgentProcess.Build, List<Double>> out = new LinkedHashMap<>();
    in.forEach((k, v) -> out.put(k, v.stream().map(b -> b / 1048576.0).toList()));
    return out;
  }

  private static Map<AgentProcess.Build, List<Double>> asDouble(
      Map<AgentProcess.Build, List<Long>> in) {
    Map<AgentProcess.Build, List<Double>> out = new LinkedHashMap<>();
    in.forEach((k, v) -> out.put(k, v.stream().map(Long::doubleValue).toList()));
    return out;
  }

  private static String kb(Path file) throws IOException {
    return String.format(
        "%,d B (%.1f MiB, %.1f MB)",
        Files.size(file), Files.size(file) / 1048576.0, Files.size(file) / 1e6);
  }

  private static void awaitModelReady(URI agent, String model) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready =
        HttpRequest.newBuilder(agent.resolve("/v2/models/" + model + "/ready")).build();
    Waits.until(
        model + " ready on " + agent,
        Duration.ofSeconds(60),
        () -> {
          try {
            return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
          } catch (IOException e) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        });
  }
}
