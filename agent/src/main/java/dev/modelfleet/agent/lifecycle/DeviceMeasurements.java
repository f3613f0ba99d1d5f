package dev.modelfleet.agent.lifecycle;

import dev.modelfleet.agent.benchmark.BenchmarkService;
import dev.modelfleet.agent.benchmark.BenchmarkStore;
import dev.modelfleet.agent.benchmark.MicroBenchmark;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceHardware;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.session.SyncSession;
import dev.modelfleet.agent.trial.TrialRunner;
import dev.modelfleet.agent.trial.TrialService;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * What the agent measures for the server besides serving: the hardware profile with the latest
 * micro-benchmark (for Hello), benchmark runs (at enrollment, on request, when the runtime changed)
 * and variant trials; reports go up the Sync session.
 */
final class DeviceMeasurements implements AutoCloseable {

  /** Per graph: ~100 runs of the ~60 M MAC graphs on one core, a few seconds in all. */
  static final Duration BENCHMARK_TIME_PER_GRAPH = Duration.ofMillis(300);

  private final DeviceHardware hardware;
  private final BenchmarkService benchmarks;
  private final TrialService trials;

  DeviceMeasurements(
      DeviceHardware hardware,
      Path stateDir,
      DesiredStateVerifier verifier,
      ArtifactDownloader downloader,
      ModelLoader loader,
      Supplier<SyncSession> sync) {
    this.hardware = hardware;
    this.benchmarks =
        new BenchmarkService(
            new MicroBenchmark(hardware, BENCHMARK_TIME_PER_GRAPH),
            new BenchmarkStore(stateDir),
            hardware,
            report -> sync.get().sendBenchmark(report));
    this.trials =
        new TrialService(
            new TrialRunner(verifier, downloader, loader, hardware::facts),
            report -> sync.get().sendTrialReport(report));
  }

  /** A fresh enrollment always measures; a known device reuses a report of its runtime. */
  void start(boolean enrolledNow) {
    if (enrolledNow) {
      benchmarks.request(BenchmarkService.ENROLLMENT);
    } else {
      benchmarks.reuseOrRerun();
    }
  }

  HardwareProfile helloProfile() {
    HardwareProfile.Builder profile = hardware.profile().toBuilder();
    benchmarks.latest().ifPresent(profile::setBenchmark);
    return profile.build();
  }

  /** The server asked for a benchmark run. */
  void benchmarkRequested() {
    benchmarks.request(BenchmarkService.ON_DEMAND);
  }

  /** The server asked for a trial of a variant. */
  void trialRequested(TrialRequest request) {
    trials.submit(request);
  }

  @Override
  public void close() {
    benchmarks.close();
    trials.close();
  }
}
