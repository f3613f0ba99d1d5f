package dev.modelfleet.agent.bench;

import dev.modelfleet.agent.benchmark.MicroBenchmark;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceHardware;
import dev.modelfleet.agent.hardware.HardwareProbe;
import dev.modelfleet.agent.runtime.OrtModelLoader;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trial.TrialRunner;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.v1.BenchmarkReport;
import dev.modelfleet.agent.v1.BenchmarkResult;
import dev.modelfleet.agent.v1.TrialReport;
import dev.modelfleet.agent.v1.TrialRequest;
import dev.modelfleet.agent.v1.TrialResult;
import dev.modelfleet.protocol.Dsse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The figures of the benchmark and trial sections of docs/agent.md: the micro-benchmark run
 * several times (duration, spread, precision ratios) and trials of the shared models. Not a
 * unit test (run it by hand, from agent/):
 * {@code java -cp target/test-classes:target/classes:$(cat target/cp.txt)
 * dev.modelfleet.agent.bench.MeasurementFigures [runs] [model.onnx ...]}
 */
public final class MeasurementFigures {

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path dir = Files.createTempDirectory("mf-figures");
    DeviceHardware hardware = new DeviceHardware(new HardwareProbe(), dir, "bench", null, true);
    MicroBenchmark benchmark = new MicroBenchmark(hardware, Duration.ofMillis(300));
    Map<String, double[]> gmacs = new HashMap<>();
    for (int i = 0; i < runs; i++) {
      BenchmarkReport report = benchmark.run("on-demand");
      System.out.println("run " + (i + 1) + ": " + report.getDurationMs() + " ms");
      for (BenchmarkResult r : report.getResultsList()) {
        String key = r.getExecutionProvider() + " " + r.getPrecision() + " " + r.getKernel();
        gmacs.computeIfAbsent(key, k -> new double[runs])[i] = r.getGmacs();
        System.out.printf("  %-18s runs %3d p50 %7.3f p95 %7.3f min %7.3f max %7.3f ms"
            + " %6.1f GMAC/s %s%n", key, r.getRuns(), r.getP50Ms(), r.getP95Ms(), r.getMinMs(),
            r.getMaxMs(), r.getGmacs(), r.getError());
      }
    }
    gmacs.keySet().stream().sorted().forEach(key -> {
      double[] values = gmacs.get(key);
      double min = Double.MAX_VALUE;
      double max = 0;
      for (double v : values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      System.out.printf("%-18s GMAC/s %.1f–%.1f (spread %.0f %%)%n", key, min, max,
          max == 0 ? 0 : (max - min) / max * 100);
    });
    for (int a = 1; a < args.length; a++) {
      trial(Path.of(args[a]), dir);
    }
  }

  private static void trial(Path model, Path dir) throws Exception {
    FleetFixture fleet = new FleetFixture();
    InMemoryArtifactSource source = new InMemoryArtifactSource();
    source.chunkSize = 1 << 20;
    byte[] bytes = Files.readAllBytes(model);
    source.put(bytes);
    StateStore store = new StateStore(dir.resolve(Dsse.sha256Hex(bytes)));
    TrialRunner runner = new TrialRunner(
        new DesiredStateVerifier(fleet::trustedRoot, FleetFixture.DEVICE_ID,
            System::currentTimeMillis),
        new ArtifactDownloader(source, store::artifact, store::partial, 1, 1),
        new OrtModelLoader(0), () -> new HardwareProbe().facts());
    TrialReport report = runner.run(TrialRequest.newBuilder().setTrialId("figures").setRuns(200)
        .addManifests(fleet.desiredModel("m", "1", bytes).getManifest()).build());
    TrialResult r = report.getResults(0);
    System.out.printf("trial %s: load %d ms, runs %d, p50 %.3f ms, p95 %.3f ms, peak +%.1f MB,"
        + " on %s %s%n", model.getFileName(), r.getLoadMs(), r.getRuns(), r.getP50Ms(),
        r.getP95Ms(), r.getPeakMemoryBytes() / 1e6, r.getExecutionProviderUsed(), r.getError());
  }
}
