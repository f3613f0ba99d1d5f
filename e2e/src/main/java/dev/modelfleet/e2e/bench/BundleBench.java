package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Offline bundles of a ~100 MB model (docs/benchmarks.md, "Offline bundles"): the time to make one
 * (the server signs it and streams the tar; the client writes it to disk) against downloading the
 * same artifact from the same server over the same admin API in the same round, and the time to
 * import one into a running agent with no server ({@code modelfleet-agent import-bundle}, a JVM of
 * its own: read and hash the tar, stage, copy into the store, load and smoke-test, swap) against
 * copying the bundle file ({@code cp}). Rounds alternate two versions so each import really swaps a
 * model in; baselines run interleaved with the measured operations.
 *
 * <p>Usage: {@code BundleBench DATABASE [ROUNDS] [HIDDEN]} (HIDDEN x HIDDEN fp32 weights: 5000
 * makes ~100 MB).
 */
public final class BundleBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    String database = args[0];
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
    RepoLayout repo = RepoLayout.find();
    // fresh each run: bench.sh recreates the database, so an agent state left by the last run
    // would belong to a device the new server does not know
    Path work = repo.root().resolve("e2e/target/bench-work/bundle");
    if (Files.exists(work)) {
      DownloadBench.deleteRecursively(work);
    }
    Files.createDirectories(work);
    try (ServerProcess server = ServerProcess.start(repo, work.resolve("server"), database);
        Fleet fleet = new Fleet(repo, server, work)) {
      String name = "bench-bundle";
      AgentProcess online = fleet.startAgent(name, Map.of("bench", "bundle"));
      String deviceId = fleet.deviceIdOf(online);
      String model = "bench-bundle";
      fleet.createModel(model);
      List<String> variantFiles = new ArrayList<>();
      long modelBytes = 0;
      for (String version : List.of("1", "2")) {
        Path file = work.resolve("model-" + version + ".onnx");
        Files.write(file, SampleModels.classifier(Long.parseLong(version), hidden, hidden, 10));
        modelBytes = Files.size(file);
        fleet.createVersion(model, version);
        JsonNode variant = fleet.uploadVariant(model, version, file);
        variantFiles.add(
            "/api/v1/models/"
                + model
                + "/versions/"
                + version
                + "/variants/"
                + variant.path("id").asText()
                + "/file");
        Files.delete(file);
      }
      fleet.assign(model, "1", "bench=bundle");
      fleet.awaitActive(model, "1", List.of(online), java.time.Duration.ofMinutes(10), l -> {});
      online.close();
      AgentProcess offline = fleet.startOfflineAgent(name);

      HttpClient http = HttpClient.newHttpClient();
      List<Long> create = new ArrayList<>();
      List<Long> download = new ArrayList<>();
      List<Long> imports = new ArrayList<>();
      List<Long> copies = new ArrayList<>();
      long bundleBytes = 0;
      for (int round = 0; round < rounds; round++) {
        String version = round % 2 == 0 ? "2" : "1";
        fleet.assign(model, version, "bench=bundle");
        Path bundle = work.resolve("bundle-" + round + ".tar");
        Path artifact = work.resolve("artifact-" + round);
        long t0 = System.nanoTime();
        HttpResponse<Path> made =
            http.send(
                request(server, "/api/v1/bundles")
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            JSON.writeValueAsString(
                                Map.of("deviceIds", List.of(deviceId), "expiresIn", "1d"))))
                    .build(),
                HttpResponse.BodyHandlers.ofFile(bundle));
        create.add(ms(t0));
        require(made.statusCode() == 200, "bundle create answered " + made.statusCode());
        bundleBytes = Files.size(bundle);
        t0 = System.nanoTime();
        HttpResponse<Path> fetched =
            http.send(
                request(server, variantFiles.get(version.equals("1") ? 0 : 1)).GET().build(),
                HttpResponse.BodyHandlers.ofFile(artifact));
        download.add(ms(t0));
        require(fetched.statusCode() == 200, "artifact download answered " + fetched.statusCode());

        t0 = System.nanoTime();
        Files.copy(bundle, work.resolve("copy.tar"), StandardCopyOption.REPLACE_EXISTING);
        try (var channel =
            java.nio.channels.FileChannel.open(
                work.resolve("copy.tar"), java.nio.file.StandardOpenOption.WRITE)) {
          channel.force(true);
        }
        copies.add(ms(t0));
        t0 = System.nanoTime();
        int exit = importBundle(repo, offline, bundle, work.resolve("import-" + round + ".log"));
        imports.add(ms(t0));
        require(exit == 0, "import-bundle exited " + exit + " (see import-" + round + ".log)");
        Files.delete(bundle);
        Files.delete(artifact);
        Files.delete(work.resolve("copy.tar"));
        System.err.println("bundle round " + (round + 1) + "/" + rounds + " done");
      }
      System.out.println(
          "| ~"
              + modelBytes / 1_000_000
              + " MB model, bundle "
              + bundleBytes / 1_000_000
              + " MB | median (min-max) of "
              + rounds
              + " | baseline, same rounds | ratio |");
      System.out.println("|---|---|---|---|");
      System.out.println(
          "| bundle create (server signs + streams, client writes) vs artifact download | "
              + spread(create)
              + " | "
              + spread(download)
              + " | "
              + String.format("%.2f", (double) median(create) / median(download))
              + " |");
      System.out.println(
          "| import-bundle (verify, stage, load, swap; own JVM) vs cp of the bundle + fsync | "
              + spread(imports)
              + " | "
              + spread(copies)
              + " | "
              + String.format("%.2f", (double) median(imports) / median(copies))
              + " |");
    }
  }

  static int importBundle(RepoLayout repo, AgentProcess agent, Path bundle, Path log)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(ServerProcess.javaBin()));
    command.addAll(AgentProcess.JVM_FLAGS);
    command.addAll(
        List.of(
            "-jar",
            repo.agentJar().toString(),
            "import-bundle",
            bundle.toString(),
            "--state-dir",
            agent.stateDir().toString()));
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  static HttpRequest.Builder request(ServerProcess server, String path) {
    return HttpRequest.newBuilder(URI.create(server.baseUri() + path))
        .header("Authorization", "Bearer " + server.adminToken());
  }

  static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException(message);
    }
  }

  static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  static String spread(List<Long> values) {
    return median(values) + " ms (" + Collections.min(values) + "-" + Collections.max(values) + ")";
  }
}
