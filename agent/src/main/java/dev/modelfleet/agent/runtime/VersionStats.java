package dev.modelfleet.agent.runtime;

import java.util.concurrent.atomic.LongAdder;

/**
 * Inference figures of one version (and variant) of a model since the agent started, as heartbeats
 * report them: the server's rollout gates compare a new version with the one it replaced on the
 * same device, so the figures belong to the version, not to the model name.
 */
public final class VersionStats implements ModelRunObserver {

  private final String model;
  private final String version;
  private final String variantId;
  // Where this version's session really runs; it can change if the version is loaded again.
  private volatile String executionProvider;
  // Every run of the model, and the runs that failed in it. Requests refused before the run
  // (malformed JSON, wrong input shape) count in neither: they say nothing about the version.
  private final LongAdder runs = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LatencyWindow latencies = new LatencyWindow();

  VersionStats(String model, String version, String variantId, String executionProvider) {
    this.model = model;
    this.version = version;
    this.variantId = variantId;
    this.executionProvider = executionProvider;
  }

  @Override
  public void modelRan(long nanos) {
    latencies.record(nanos);
  }

  void countSucceeded() {
    runs.increment();
  }

  void countFailed() {
    runs.increment();
    failures.increment();
  }

  void runsOn(String provider) {
    this.executionProvider = provider;
  }

  String version() {
    return version;
  }

  String variantId() {
    return variantId;
  }

  /** The figures now; percentiles are computed from a copy of the window. */
  public Snapshot snapshot() {
    // Failures first: a failure is counted after its run, so errors never exceed requests.
    long errors = failures.sum();
    long requests = runs.sum();
    LatencyWindow.Percentiles percentiles = latencies.percentiles();
    return new Snapshot(
        model,
        version,
        variantId,
        executionProvider,
        requests,
        errors,
        percentiles.p50Ms(),
        percentiles.p95Ms());
  }

  /** One heartbeat entry: {@code errors} is part of {@code requests}. */
  public record Snapshot(
      String model,
      String version,
      String variantId,
      String executionProvider,
      long requests,
      long errors,
      double p50Ms,
      double p95Ms) {}
}
