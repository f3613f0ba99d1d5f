package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.onnx.samples.FineTunes;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Offline bundles whole against delta (docs/benchmarks.md, "Offline bundles: whole vs delta"), on
 * HistoryBench's fine-tuned pair: version 1 a classifier (1024 features, 6144 hidden, ~25 MB fp32),
 * version 2 the same with its head fine-tuned (the last Gemm's weights and bias, a tenth of the
 * values nudged by about 1 %). The device runs version 1 and is offline. "Whole": a bundle for its
 * hardware class with version 2 (class bundles carry whole files). "Delta": a bundle for the
 * device, whose document offers the delta from version 1 (the bundle carries only the delta). Each
 * round makes and imports both, in alternating order, and puts version 1 back (a class bundle, not
 * timed) after each, so every import really swaps version 2 in (version 2's file, kept as a
 * rollback copy, is removed before each timed import so that both really stage or rebuild it).
 *
 * <p>Usage: {@code BundleDeltaBench DATABASE [ROUNDS]}.
 */
public final class BundleDeltaBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    String database = args[0];
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    RepoLayout repo = RepoLayout.find();
    Path work = repo.root().resolve("e2e/target/bench-work/bundle-delta");
    if (Files.exists(work)) {
      DownloadBench.deleteRecursively(work);
    }
    Files.createDirectories(work);
    byte[] v1 = SampleModels.classifier(401, 1024, 6144, 10);
    byte[] v2 = FineTunes.fineTuned(v1, 2, 0.1, 402);
    try (ServerProcess server = ServerProcess.start(repo, work.resolve("server"), database);
        Fleet fleet = new Fleet(repo, server, work)) {
      String name = "bench-bundle-delta";
      AgentProcess online = fleet.startAgent(name, Map.of("bench", "bundle-delta"));
      String deviceId = fleet.deviceIdOf(online);
      String classId =
          fleet.admin().get("/api/v1/devices/" + deviceId).path("hardwareClassId").asText();
      String model = "bench-bundle-delta";
      fleet.createModel(model);
      fleet.createVersion(model, "1");
      String sha1 = fleet.uploadVariant(model, "1", v1).path("sha256").asText();
      fleet.assign(model, "1", "bench=bundle-delta");
      fleet.awaitActive(model, "1", List.of(online), Duration.ofMinutes(10), l -> {});
      waitFor(
          () -> {
            for (JsonNode m : fleet.admin().get("/api/v1/devices/" + deviceId).path("installed")) {
              if (sha1.equals(m.path("sha256").asText()) && m.path("active").asBoolean()) {
                return true;
              }
            }
            return false;
          });
      online.close();
      fleet.createVersion(model, "2");
      String sha2 = fleet.uploadVariant(model, "2", v2).path("sha256").asText();
      waitFor(
          () ->
              fleet.admin().get("/api/v1/models/" + model + "/versions/2/deltas").size() >= 1
                  && fleet
                          .admin()
                          .get("/api/v1/models/" + model + "/versions/2/compressions")
                          .size()
                      >= 1);
      JsonNode delta = fleet.admin().get("/api/v1/models/" + model + "/versions/2/deltas").get(0);
      BundleBench.require(delta.path("kept").asBoolean(), "the delta was not kept: " + delta);
      fleet.assign(model, "2", "bench=bundle-delta");
      AgentProcess offline = fleet.startOfflineAgent(name);

      HttpClient http = HttpClient.newHttpClient();
      Map<String, Object> whole =
          Map.of("hardwareClasses", List.of(classId), "models", List.of(model + "=2"));
      Map<String, Object> back =
          Map.of("hardwareClasses", List.of(classId), "models", List.of(model + "=1"));
      Map<String, Object> byDelta = Map.of("deviceIds", List.of(deviceId));
      List<Long> createWhole = new ArrayList<>();
      List<Long> createDelta = new ArrayList<>();
      List<Long> importWhole = new ArrayList<>();
      List<Long> importDelta = new ArrayList<>();
      long wholeBytes = 0;
      long deltaBytes = 0;
      for (int round = 0; round < rounds; round++) {
        for (int turn = 0; turn < 2; turn++) {
          boolean deltaTurn = (round + turn) % 2 == 0;
          Path bundle = work.resolve("bundle-" + round + "-" + turn + ".tar");
          long t0 = System.nanoTime();
          make(http, server, deltaTurn ? byDelta : whole, bundle);
          (deltaTurn ? createDelta : createWhole).add(BundleBench.ms(t0));
          if (deltaTurn) {
            deltaBytes = Files.size(bundle);
          } else {
            wholeBytes = Files.size(bundle);
          }
          // the agent keeps version 2 as a rollback copy once version 1 is back; without this the
          // import would find it held and neither stage nor rebuild it
          Files.deleteIfExists(offline.stateDir().resolve("artifacts").resolve(sha2 + ".onnx"));
          t0 = System.nanoTime();
          int exit =
              BundleBench.importBundle(
                  repo, offline, bundle, work.resolve("import-" + round + "-" + turn + ".log"));
          (deltaTurn ? importDelta : importWhole).add(BundleBench.ms(t0));
          BundleBench.require(exit == 0, "import-bundle exited " + exit);
          Files.delete(bundle);
          Path reset = work.resolve("back.tar");
          make(http, server, back, reset);
          exit = BundleBench.importBundle(repo, offline, reset, work.resolve("back.log"));
          BundleBench.require(exit == 0, "putting version 1 back exited " + exit);
          Files.delete(reset);
        }
        System.err.println("bundle delta round " + (round + 1) + "/" + rounds + " done");
      }
      System.out.println(
          "| fine-tuned pair, v2 "
              + v2.length / 1_000_000
              + " MB | whole (class bundle) | delta (device bundle) | delta / whole |");
      System.out.println("|---|---|---|---|");
      System.out.printf(
          "| bundle size | %,d bytes | %,d bytes | %.3f |%n",
          wholeBytes, deltaBytes, (double) deltaBytes / wholeBytes);
      System.out.printf(
          "| bundle create, median (min-max) of %d | %s | %s | %.2f |%n",
          rounds,
          BundleBench.spread(createWhole),
          BundleBench.spread(createDelta),
          (double) BundleBench.median(createDelta) / BundleBench.median(createWhole));
      System.out.printf(
          "| import-bundle (own JVM), median (min-max) of %d | %s | %s | %.2f |%n",
          rounds,
          BundleBench.spread(importWhole),
          BundleBench.spread(importDelta),
          (double) BundleBench.median(importDelta) / BundleBench.median(importWhole));
    }
  }

  private static void make(HttpClient http, ServerProcess server, Map<String, Object> body, Path to)
      throws Exception {
    HttpResponse<Path> made =
        http.send(
            BundleBench.request(server, "/api/v1/bundles")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(),
            HttpResponse.BodyHandlers.ofFile(to));
    BundleBench.require(made.statusCode() == 200, "bundle create answered " + made.statusCode());
  }

  private static void waitFor(java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (!done.getAsBoolean()) {
      BundleBench.require(System.nanoTime() < deadline, "not done in 10 minutes");
      Thread.sleep(500);
    }
  }
}
