package dev.modelfleet.e2e.bench;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RolloutDefaults;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What shadowing costs a device and how soon it decides, with the packaged server and real agents.
 * Three agents serve the same classifier (256 features, 1,024 hidden units, 10 classes: a model one
 * thread runs in well under a millisecond); two of them shadow the same network re-exported, on 10
 * % and 100 % of their requests, the third shadows nothing. Rounds go through the three in a
 * shuffled order, one at a time, so the machine's load falls alike on each; every round gives each
 * shadowing agent's p50/p99 as a ratio to the unshadowed agent's in that round. Then the extra RSS
 * of the agent running a shadow, and the time a shadow phase needs to decide at 100 requests/s with
 * 10 % sampling (minSamples 200, minSeconds 0, heartbeats every second).
 */
final class ShadowBench {

  private static final int FEATURES = 256;
  private static final int ROUNDS = Integer.getInteger("modelfleet.bench.shadowRounds", 5);
  private static final int REQUESTS = Integer.getInteger("modelfleet.bench.shadowRequests", 1500);

  private ShadowBench() {}

  static void run(Fleet fleet, ReportRows report) throws Exception {
    String run = Long.toHexString(System.nanoTime());
    String model = "shadow-bench-" + run;
    byte[] serving = SampleModels.classifier(71, FEATURES, 1024, 10);
    byte[] candidate =
        ModelProto.parseFrom(serving).toBuilder()
            .setDocString("the same classifier, re-exported")
            .build()
            .toByteArray();
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", serving);
    fleet.createVersion(model, "2");
    fleet.uploadVariant(model, "2", candidate);
    double[] rates = {0, 0.1, 1.0};
    List<AgentProcess> agents = new ArrayList<>();
    for (double rate : rates) {
      agents.add(
          fleet.startAgent(
              "shadow-bench-" + label(rate) + "-" + run,
              Map.of("bench", run, "rate", label(rate))));
    }
    AgentProcess decider =
        fleet.startAgent("shadow-bench-decide-" + run, Map.of("bench", run, "rate", "decide"));
    fleet.assign(model, "1", "bench=" + run);
    List<AgentProcess> all = new ArrayList<>(agents);
    all.add(decider);
    fleet.awaitActive(model, "1", all, Duration.ofMinutes(3), line -> {});
    Client[] clients = new Client[rates.length];
    for (int i = 0; i < rates.length; i++) {
      clients[i] = new Client(agents.get(i).inferenceUri(), model);
      clients[i].measure(300); // warm-up: JIT and ONNX Runtime's first runs
    }
    long rssBefore = agents.get(2).rssBytes();
    for (int i = 1; i < rates.length; i++) {
      String id =
          shadowRollout(
              fleet,
              model,
              "bench=" + run + ",rate=" + label(rates[i]),
              rates[i],
              1_000_000_000L,
              3600);
      awaitShadowFigures(fleet, id);
    }
    for (Client client : clients) {
      client.measure(300);
    }

    List<double[]> p50Ratios = new ArrayList<>();
    List<double[]> p99Ratios = new ArrayList<>();
    double[][] p50 = new double[rates.length][ROUNDS];
    double[][] p99 = new double[rates.length][ROUNDS];
    List<Integer> order = new ArrayList<>(List.of(0, 1, 2));
    Random random = new Random(5);
    for (int round = 0; round < ROUNDS; round++) {
      Benchmarks.progress("shadow: round " + (round + 1) + "/" + ROUNDS);
      Collections.shuffle(order, random);
      for (int i : order) {
        Samples samples = clients[i].measure(REQUESTS);
        p50[i][round] = samples.percentileMillis(50);
        p99[i][round] = samples.percentileMillis(99);
      }
      p50Ratios.add(new double[] {1, p50[1][round] / p50[0][round], p50[2][round] / p50[0][round]});
      p99Ratios.add(new double[] {1, p99[1][round] / p99[0][round], p99[2][round] / p99[0][round]});
    }
    for (int i = 0; i < rates.length; i++) {
      final int at = i;
      report.row(
          String.format(
              Locale.ROOT,
              "Shadow: live infer latency at %s sampling (HTTP, %d rounds x %d requests)",
              label(rates[i]),
              ROUNDS,
              REQUESTS),
          String.format(
              Locale.ROOT,
              "p50 median %.3f ms, p99 median %.3f ms%s",
              median(p50[i]),
              median(p99[i]),
              i == 0
                  ? " (baseline)"
                  : "; vs 0 % in the same round: p50 x"
                      + spread(p50Ratios.stream().mapToDouble(r -> r[at]).toArray())
                      + ", p99 x"
                      + spread(p99Ratios.stream().mapToDouble(r -> r[at]).toArray())),
          i == 1 ? "p50 ≤ x1.05, p99 ≤ x1.10" : "");
    }
    long rssShadow = agents.get(2).rssBytes();
    long rssPlain = agents.get(0).rssBytes();
    report.row(
        "Shadow: agent RSS with a shadow model loaded (same model and traffic)",
        String.format(
            Locale.ROOT,
            "%s with the shadow vs %s without (+%s); the same agent before its shadow: %s",
            Benchmarks.mb(rssShadow),
            Benchmarks.mb(rssPlain),
            Benchmarks.mb(rssShadow - rssPlain),
            Benchmarks.mb(rssBefore)),
        "");

    Client load = new Client(decider.inferenceUri(), model);
    AtomicBoolean going = new AtomicBoolean(true);
    Thread paced = new Thread(() -> load.paced(100, going), "shadow-bench-100rps");
    paced.start();
    try {
      Waits.sleep(Duration.ofSeconds(3));
      long start = System.nanoTime();
      String id = shadowRollout(fleet, model, "bench=" + run + ",rate=decide", 0.1, 200, 600);
      JsonNode done =
          Waits.until(
              "shadow phase decided",
              Duration.ofMinutes(10),
              () -> {
                JsonNode r = fleet.admin().get("/api/v1/rollouts/" + id);
                return r.path("waves").path(0).path("shadow").path("verdict").isTextual()
                    ? r
                    : null;
              });
      double seconds = (System.nanoTime() - start) / 1e9;
      report.row(
          "Shadow: rollout start to shadow verdict at 100 requests/s, 10 % sampling, minSamples"
              + " 200, minSeconds 0, heartbeats every 1 s",
          String.format(
              Locale.ROOT,
              "%.1f s (%d samples compared; %s)",
              seconds,
              done.path("waves").path(0).path("shadow").path("compared").asLong(),
              done.path("waves").path(0).path("shadow").path("verdict").asText()),
          "");
    } finally {
      going.set(false);
      paced.join();
    }
  }

  private static String shadowRollout(
      Fleet fleet, String model, String selector, double rate, long minSamples, long maxSeconds) {
    Map<String, Object> body =
        Map.of(
            "model",
            model,
            "version",
            "2",
            "selector",
            selector,
            "start",
            true,
            "defaults",
            RolloutDefaults.everyDeviceActive(0, 600),
            "waves",
            List.of(Map.of("percent", 100)),
            "shadow",
            Map.of(
                "comparison",
                "top1>=0.99",
                "sampleRate",
                rate,
                "maxPerSecond",
                0,
                "minSamples",
                minSamples,
                "minSeconds",
                0,
                "maxSeconds",
                maxSeconds,
                "maxLatencyRatio",
                100.0));
    return fleet.admin().post("/api/v1/rollouts", body).path("id").asText();
  }

  /** Until the device reported figures for the candidate: it is loaded and sampling. */
  private static void awaitShadowFigures(Fleet fleet, String id) {
    Waits.until(
        "shadow figures of rollout " + id,
        Duration.ofMinutes(3),
        () ->
            fleet
                        .admin()
                        .get("/api/v1/rollouts/" + id)
                        .path("waves")
                        .path(0)
                        .path("shadow")
                        .path("devices")
                        .asInt()
                    > 0
                ? Boolean.TRUE
                : null);
  }

  private static String label(double rate) {
    return String.format(Locale.ROOT, "%.0f%%", rate * 100).replace("%", "pct");
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** The median with the range, e.g. "1.03 (0.98–1.10)". */
  private static String spread(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return String.format(
        Locale.ROOT,
        "%.2f (%.2f–%.2f)",
        sorted[sorted.length / 2],
        sorted[0],
        sorted[sorted.length - 1]);
  }

  /** One application on the device: sequential infer calls with varied inputs. */
  private static final class Client {
    private final HttpClient http = HttpClient.newHttpClient();
    private final HttpRequest.Builder request;
    private final List<String> bodies = new ArrayList<>();

    Client(URI agent, String model) {
      request =
          HttpRequest.newBuilder(agent.resolve("/v2/models/" + model + "/infer"))
              .header("Content-Type", "application/json");
      Random random = new Random(11);
      for (int b = 0; b < 16; b++) {
        StringBuilder json =
            new StringBuilder(
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,"
                    + FEATURES
                    + "],\"data\":[");
        for (int i = 0; i < FEATURES; i++) {
          json.append(i == 0 ? "" : ",")
              .append(String.format(Locale.ROOT, "%.4f", random.nextGaussian()));
        }
        bodies.add(json.append("]}]}").toString());
      }
    }

    Samples measure(int count) throws Exception {
      Samples samples = new Samples(count);
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        call(i);
        samples.add(System.nanoTime() - start);
      }
      return samples;
    }

    void paced(int perSecond, AtomicBoolean going) {
      long interval = 1_000_000_000L / perSecond;
      long next = System.nanoTime();
      int i = 0;
      while (going.get()) {
        try {
          call(i++);
        } catch (Exception e) {
          // counted by the agent as it is; the figure here is the decision time
        }
        next += interval;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
      }
    }

    private void call(int i) throws Exception {
      HttpResponse<Void> response =
          http.send(
              request
                  .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i % bodies.size())))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("infer answered " + response.statusCode());
      }
    }
  }
}
