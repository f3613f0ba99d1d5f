package dev.modelfleet.agent.benchmark;

import dev.modelfleet.agent.hardware.DeviceHardware;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * When the micro-benchmark runs: at enrollment, on the server's request, and at start when the
 * runtime changed since the stored report (otherwise that report is reused). Runs happen on one
 * low-priority background thread, one at a time; a request during a run is answered by that run's
 * report. Inference and sync never wait for it.
 */
public final class BenchmarkService implements AutoCloseable {

  public static final String ENROLLMENT = "enrollment";
  public static final String ON_DEMAND = "on-demand";
  public static final String RUNTIME_CHANGED = "runtime-changed";

  private static final Logger LOG = Logger.getLogger("modelfleet.benchmark");

  private final MicroBenchmark benchmark;
  private final BenchmarkStore store;
  private final DeviceHardware hardware;
  private final Consumer<BenchmarkReport> onReport;
  private final AtomicReference<BenchmarkReport> latest = new AtomicReference<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean closed;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "benchmark");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
          });

  /**
   * @param onReport receives every finished report (to send it to the server).
   */
  public BenchmarkService(
      MicroBenchmark benchmark,
      BenchmarkStore store,
      DeviceHardware hardware,
      Consumer<BenchmarkReport> onReport) {
    this.benchmark = benchmark;
    this.store = store;
    this.hardware = hardware;
    this.onReport = onReport;
  }

  /** The latest report, for the Hello's hardware profile; empty until one exists. */
  public Optional<BenchmarkReport> latest() {
    return Optional.ofNullable(latest.get());
  }

  /** Reuses the stored report when it was measured on this runtime; else measures anew. */
  public void reuseOrRerun() {
    Optional<BenchmarkReport> stored = store.load(runtime(hardware.profile()));
    if (stored.isPresent()) {
      latest.set(stored.get());
      LOG.info(
          "benchmark: reusing the report of "
              + stored.get().getStartedAtMs()
              + " (same ONNX Runtime and providers)");
    } else {
      request(RUNTIME_CHANGED);
    }
  }

  /** Starts a run in the background; false when one is already running. */
  public boolean request(String trigger) {
    if (!running.compareAndSet(false, true)) {
      LOG.info("benchmark (" + trigger + "): a run is in progress; its report answers this");
      return false;
    }
    thread.execute(
        () -> {
          try {
            BenchmarkReport report = benchmark.run(trigger);
            if (closed) {
              return; // A graph cannot be interrupted; its report comes after shutdown: drop it.
            }
            latest.set(report);
            store.save(report, runtime(hardware.profile()));
            LOG.info(
                "benchmark ("
                    + trigger
                    + ") finished in "
                    + report.getDurationMs()
                    + " ms, "
                    + report.getResultsCount()
                    + " results"
                    + (report.getSimulated() ? " (simulated)" : ""));
            // No longer "in progress" before the report goes out: a request that arrives once the
            // server has it (an operator asking again at once) must start a run, not be told that
            // this one answers it.
            running.set(false);
            onReport.accept(report);
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "benchmark (" + trigger + ") failed", e);
          } finally {
            running.set(false);
          }
        });
    return true;
  }

  /**
   * What a stored report is valid for: the ONNX Runtime version and the providers list (and, for a
   * simulated device, its profile, whose figures the report repeats).
   */
  private String runtime(HardwareProfile profile) {
    return "onnxruntime "
        + profile.getOnnxruntimeVersion()
        + "; providers "
        + String.join(",", profile.getExecutionProvidersList())
        + hardware
            .simulation()
            .map(s -> "; simulated " + Integer.toHexString(s.hashCode()))
            .orElse("");
  }

  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
  }
}
