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
  // Cumulative durations as Triton reports them (GET /v2/models/{name}/stats): the model's own
  // runs, and what the front ends spent turning requests into tensors and tensors into answers.
  private final LongAdder inferNanos = new LongAdder();
  private final LongAdder failedNanos = new LongAdder();
  private final LongAdder served = new LongAdder();
  private final LongAdder servedNanos = new LongAdder();
  private final LongAdder inputNanos = new LongAdder();
  private final LongAdder outputNanos = new LongAdder();
  private volatile long lastInferenceMillis;

  VersionStats(String model, String version, String variantId, String executionProvider) {
    this.model = model;
    this.version = version;
    this.variantId = variantId;
    this.executionProvider = executionProvider;
  }

  @Override
  public void modelRan(long nanos) {
    latencies.record(nanos);
    inferNanos.add(nanos);
  }

  void countSucceeded() {
    runs.increment();
    lastInferenceMillis = System.currentTimeMillis();
  }

  void countFailed(long nanos) {
    runs.increment();
    failures.increment();
    failedNanos.add(nanos);
    lastInferenceMillis = System.currentTimeMillis();
  }

  void countServed(long input, long output, long total) {
    served.increment();
    inputNanos.add(input);
    outputNanos.add(output);
    servedNanos.add(total);
  }

  /** The cumulative counts and durations of this version, in Triton's terms. */
  public Totals totals() {
    long failed = failures.sum();
    return new Totals(
        model,
        version,
        lastInferenceMillis,
        served.sum(),
        servedNanos.sum(),
        failed,
        failedNanos.sum(),
        runs.sum(),
        inferNanos.sum(),
        inputNanos.sum(),
        outputNanos.sum());
  }

  /**
   * Cumulative figures since the agent started. {@code success}: requests answered, with their
   * whole time in the agent (decoding, run, encoding); {@code fail}: runs that failed in the model;
   * {@code executions}: model runs; {@code computeInfer}: time in the runtime's run; {@code
   * computeInput}/{@code computeOutput}: turning the request into tensors and the outputs into the
   * answer. No queue: a request runs on the thread that read it.
   */
  public record Totals(
      String model,
      String version,
      long lastInferenceMillis,
      long success,
      long successNanos,
      long fail,
      long failNanos,
      long executions,
      long computeInferNanos,
      long computeInputNanos,
      long computeOutputNanos) {}

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
