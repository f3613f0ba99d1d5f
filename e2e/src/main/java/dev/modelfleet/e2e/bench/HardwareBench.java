package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.agent.benchmark.MicroBenchmark;
import dev.modelfleet.agent.hardware.DeviceHardware;
import dev.modelfleet.agent.hardware.HardwareProbe;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.BenchmarkResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The hardware figures: the agent's own micro-benchmark (the code it runs at enrollment) run
 * several times in this JVM for its duration and spread, and on-device trials of real models driven
 * through the admin API against a real agent, as an operator would ask for them.
 */
final class HardwareBench {

  private HardwareBench() {}

  /** Reports duration per run and, per provider/precision/kernel, the GMAC/s range. */
  static void microBenchmark(int runs, Path scratch, BiConsumer<String, String> row)
      throws Exception {
    DeviceHardware hardware =
        new DeviceHardware(
            new HardwareProbe(),
            Files.createDirectories(scratch.resolve("micro-benchmark")),
            "bench",
            null,
            true);
    MicroBenchmark benchmark = new MicroBenchmark(hardware, Duration.ofMillis(300));
    List<Long> durations = new ArrayList<>();
    Map<String, List<Double>> gmacs = new TreeMap<>();
    for (int i = 0; i < runs; i++) {
      BenchmarkReport report = benchmark.run("on-demand");
      durations.add(report.getDurationMs());
      for (BenchmarkResult result : report.getResultsList()) {
        String key =
            result.getExecutionProvider() + " " + result.getPrecision() + " " + result.getKernel();
        gmacs
            .computeIfAbsent(key, k -> new ArrayList<>())
            .add(result.getError().isEmpty() ? result.getGmacs() : Double.NaN);
      }
    }
    row.accept(
        "Micro-benchmark: duration of one run (" + runs + " runs)",
        "median " + median(durations) + " ms, range " + range(durations) + " ms");
    gmacs.forEach(
        (key, values) ->
            row.accept(
                "Micro-benchmark " + key + ": GMAC/s over " + runs + " runs",
                String.format(
                    "median %.1f, range %.1f–%.1f (spread %.0f %%)",
                    median(values),
                    min(values),
                    max(values),
                    (max(values) - min(values)) / max(values) * 100)));
    for (String kernel : List.of("matmul", "conv")) {
      List<Double> fp32 = gmacs.get("cpu fp32 " + kernel);
      List<Double> int8 = gmacs.get("cpu int8 " + kernel);
      List<Double> fp16 = gmacs.get("cpu fp16 " + kernel);
      if (fp32 != null && int8 != null) {
        row.accept(
            "Micro-benchmark cpu " + kernel + ": int8 / fp32 throughput",
            String.format("%.2f", median(int8) / median(fp32)));
      }
      if (fp32 != null && fp16 != null) {
        row.accept(
            "Micro-benchmark cpu " + kernel + ": fp16 / fp32 throughput",
            String.format("%.2f", median(fp16) / median(fp32)));
      }
    }
  }

  /** Publishes {@code model} as one fp32 variant and has {@code deviceId} time it. */
  static void trial(
      Fleet fleet, String deviceId, String name, Path model, BiConsumer<String, String> row) {
    fleet.createModel(name);
    fleet.createVersion(name, "1");
    fleet.uploadVariant(name, "1", model);
    // A device that enrolled a moment ago may not hold its stream yet: the server answers
    // "offline", and the operator's move is to ask again.
    JsonNode done =
        Waits.until(
            "a trial of " + name + " that reaches the device",
            Duration.ofMinutes(2),
            () -> {
              JsonNode trial =
                  completed(
                      fleet,
                      fleet
                          .admin()
                          .post(
                              "/api/v1/models/" + name + "/versions/1/trials",
                              Map.of("deviceId", deviceId, "runs", 200))
                          .path("id")
                          .asText());
              return "offline".equals(trial.path("devices").get(0).path("state").asText())
                  ? null
                  : trial;
            });
    JsonNode device = done.path("devices").get(0);
    if (device.path("results").isEmpty()) {
      row.accept(
          "Trial " + model.getFileName(),
          device.path("state").asText() + ": " + device.path("reason").asText());
      return;
    }
    JsonNode result = device.path("results").get(0);
    row.accept(
        "Trial " + model.getFileName() + " fp32/cpu on the agent (200 runs)",
        result.path("error").isTextual() && !result.path("error").asText().isEmpty()
            ? "failed: " + result.path("error").asText()
            : String.format(
                "load %d ms, p50 %.3f ms, p95 %.3f ms, peak +%.1f MB, ran on %s",
                result.path("loadMs").asLong(),
                result.path("p50Ms").asDouble(),
                result.path("p95Ms").asDouble(),
                result.path("peakMemoryBytes").asLong() / 1e6,
                result.path("executionProviderUsed").asText()));
  }

  private static JsonNode completed(Fleet fleet, String trialId) {
    return Waits.until(
        "trial " + trialId + " to complete",
        Duration.ofMinutes(2),
        () -> {
          JsonNode current = fleet.admin().get("/api/v1/trials/" + trialId);
          return "complete".equals(current.path("status").asText()) ? current : null;
        });
  }

  private static <T extends Number> double median(List<T> values) {
    List<Double> sorted = values.stream().map(Number::doubleValue).sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  private static String range(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).min().orElse(0)
        + "–"
        + values.stream().mapToLong(Long::longValue).max().orElse(0);
  }

  private static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  private static double max(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }
}
