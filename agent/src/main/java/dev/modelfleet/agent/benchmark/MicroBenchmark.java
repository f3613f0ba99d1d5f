package dev.modelfleet.agent.benchmark;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.agent.hardware.DeviceHardware;
import dev.modelfleet.agent.hardware.SimulatedProfile;
import dev.modelfleet.agent.runtime.ort.ExecutionProviders;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.onnx.SafeSessions;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.BenchmarkResult;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Times the {@link BenchmarkGraphs} on every execution provider the device reports, for every
 * precision. A combination ONNX Runtime cannot run (no kernel, provider fails to start) is reported
 * with its error, not skipped, so the server can tell "slow" from "impossible".
 *
 * <p>Sessions use one intra-op thread: the figures are per core, which is what compares providers
 * and precisions, and they leave the device's other cores to inference. Providers a simulated
 * profile gives figures for are reported from the file, never run.
 */
public final class MicroBenchmark {

  private static final int WARM_UP = 3;
  private static final int MIN_RUNS = 5;
  private static final int MAX_RUNS = 2000;

  private final DeviceHardware hardware;
  private final long budgetNanosPerGraph;

  /**
   * @param perGraph how long to time each graph after warm-up (at least 5 runs).
   */
  public MicroBenchmark(DeviceHardware hardware, Duration perGraph) {
    this.hardware = hardware;
    this.budgetNanosPerGraph = perGraph.toNanos();
  }

  public BenchmarkReport run(String trigger) {
    long startedAt = System.currentTimeMillis();
    long start = System.nanoTime();
    HardwareProfile profile = hardware.profile();
    Optional<SimulatedProfile> simulation = hardware.simulation();
    BenchmarkReport.Builder report =
        BenchmarkReport.newBuilder()
            .setTrigger(trigger)
            .setStartedAtMs(startedAt)
            .setOnnxruntimeVersion(profile.getOnnxruntimeVersion())
            .setSimulated(simulation.isPresent());
    for (String provider : profile.getExecutionProvidersList()) {
      if (simulation.isPresent() && simulation.get().benchmarkedProviders().contains(provider)) {
        report.addAllResults(simulation.get().resultsFor(provider));
        continue;
      }
      for (String precision : BenchmarkGraphs.PRECISIONS) {
        for (String kernel : BenchmarkGraphs.KERNELS) {
          BenchmarkResult.Builder result =
              BenchmarkResult.newBuilder()
                  .setExecutionProvider(provider)
                  .setPrecision(precision)
                  .setKernel(kernel);
          if (hardware.providers().isReal(provider)) {
            measure(BenchmarkGraphs.graph(kernel, precision), provider, result);
          } else {
            result.setError(
                "simulated execution provider without figures in the"
                    + " simulate-profile file; it cannot run on this machine");
          }
          report.addResults(result);
        }
      }
    }
    return report.setDurationMs((System.nanoTime() - start) / 1_000_000).build();
  }

  private void measure(
      BenchmarkGraphs.Graph graph, String provider, BenchmarkResult.Builder result) {
    OrtEnvironment env = OrtModelLoader.environment();
    float[] input = new float[Math.toIntExact(BenchmarkGraphs.count(graph.inputShape()))];
    for (int i = 0; i < input.length; i++) {
      input[i] = (i % 13 - 6) * 0.1f;
    }
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
      ExecutionProviders.configure(options, provider);
      // our own graphs, checked like any model: one way into ONNX Runtime
      try (OrtSession session = SafeSessions.open(env, graph.model(), options);
          OnnxTensor x =
              OnnxTensor.createTensor(env, FloatBuffer.wrap(input), graph.inputShape())) {
        Latencies latencies =
            Latencies.measure(
                () -> session.run(Map.of("x", x)).close(),
                WARM_UP,
                MIN_RUNS,
                MAX_RUNS,
                budgetNanosPerGraph);
        result
            .setRuns(latencies.runs())
            .setP50Ms(latencies.p50Ms())
            .setP95Ms(latencies.p95Ms())
            .setMinMs(latencies.minMs())
            .setMaxMs(latencies.maxMs())
            .setGmacs(graph.macs() / (latencies.p50Ms() * 1e6));
      }
    } catch (Exception e) {
      result.setRuns(0).setError(firstLine(e));
    }
  }

  private static String firstLine(Exception e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message.lines().findFirst().orElse(message);
  }
}
