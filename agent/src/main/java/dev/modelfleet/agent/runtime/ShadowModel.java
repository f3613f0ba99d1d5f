package dev.modelfleet.agent.runtime;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A candidate version loaded beside the serving one and never swapped in: a sample of live requests
 * is replayed on it by one worker thread, off the request path, and its answers are compared with
 * the serving model's. Only aggregates leave this class ({@link #figures()}); the sampled inputs
 * and outputs live in the queue until the worker has compared them, then are dropped.
 *
 * <p>The request path only draws a random number and, for a sample, offers to a bounded queue: a
 * full queue drops the sample (counted) instead of making the request wait.
 */
public final class ShadowModel implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.shadow");

  /** Samples waiting for the worker; more would only hold request data longer. */
  static final int QUEUE_CAPACITY = 16;

  private final String name;
  private final String version;
  private final String sha256;
  private final ShadowSettings settings;
  private final LoadedModel candidate;
  private final ShadowSampler sampler;
  private final ShadowComparison comparison;
  private final BlockingQueue<Sample> queue;
  private final Thread worker;
  private final LongAdder compared = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder queueFull = new LongAdder();
  private final LongAdder fromValidation = new LongAdder();
  private final Validation validation;
  // When the model last had a live request (System.nanoTime); the validation set is replayed
  // only after the model was quiet for the desired state's idle time.
  private volatile long lastLiveNanos = System.nanoTime();
  private int nextValidationSample;
  private final LatencyWindow candidateLatency = new LatencyWindow();
  private final LatencyWindow servingLatency = new LatencyWindow();
  private volatile String servingVersion = "";
  private volatile boolean closed;

  /**
   * @throws IllegalArgumentException when the settings' comparison is not a comparison spec
   */
  public ShadowModel(
      String name, String version, String sha256, ShadowSettings settings, LoadedModel candidate) {
    this(name, version, sha256, settings, candidate, null);
  }

  /**
   * @param validation null, or the operator's inputs to replay while the model has no live traffic
   */
  public ShadowModel(
      String name,
      String version,
      String sha256,
      ShadowSettings settings,
      LoadedModel candidate,
      Validation validation) {
    this(
        name,
        version,
        sha256,
        settings,
        candidate,
        new ShadowSampler(settings),
        QUEUE_CAPACITY,
        validation);
  }

  ShadowModel(
      String name,
      String version,
      String sha256,
      ShadowSettings settings,
      LoadedModel candidate,
      ShadowSampler sampler,
      int capacity) {
    this(name, version, sha256, settings, candidate, sampler, capacity, null);
  }

  ShadowModel(
      String name,
      String version,
      String sha256,
      ShadowSettings settings,
      LoadedModel candidate,
      ShadowSampler sampler,
      int capacity,
      Validation validation) {
    this.validation = validation == null || validation.samples().isEmpty() ? null : validation;
    this.comparison = new ShadowComparison(settings.comparison());
    this.name = name;
    this.version = version;
    this.sha256 = sha256;
    this.settings = settings;
    this.candidate = candidate;
    this.sampler = sampler;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.worker = new Thread(this::work, "shadow-" + name);
    worker.setDaemon(true);
    // Below the request threads: the candidate takes what CPU the serving path leaves.
    worker.setPriority(Thread.MIN_PRIORITY);
    worker.start();
  }

  /**
   * Called on the request path after the serving model answered: replays the request on the
   * candidate if it is sampled. Never blocks, never throws.
   */
  public void offer(
      String servingVersion,
      List<Tensor> inputs,
      Set<String> outputs,
      List<Tensor> served,
      long servingNanos) {
    if (validation != null) {
      lastLiveNanos = System.nanoTime();
    }
    if (closed || !sampler.take()) {
      return;
    }
    this.servingVersion = servingVersion;
    if (!queue.offer(new Sample(inputs, outputs, served, servingNanos))) {
      queueFull.increment();
    }
  }

  private void work() {
    try {
      while (!closed) {
        Sample sample =
            queue.poll(validation == null ? 1000 : validation.pauseMillis(), TimeUnit.MILLISECONDS);
        if (sample != null) {
          replay(sample);
        } else if (validation != null && quiet()) {
          replayValidation();
        }
      }
    } catch (InterruptedException e) {
      // closed
    } finally {
      queue.clear();
      candidate.close();
    }
  }

  private boolean quiet() {
    return System.nanoTime() - lastLiveNanos >= validation.idle().toNanos();
  }

  /**
   * One validation sample on both models, paced by the poll above and at the worker's priority: the
   * device has no live traffic, and the comparison is the same as for a live sample.
   */
  private void replayValidation() {
    List<Tensor> inputs =
        validation.samples().get(nextValidationSample++ % validation.samples().size());
    ServingRun served;
    try {
      served = validation.serving().run(inputs);
    } catch (InferenceException | RuntimeException e) {
      // the serving model's failure says nothing of the candidate: no sample
      LOG.log(Level.FINE, "serving model " + name + " failed on a validation sample", e);
      return;
    }
    if (served == null) {
      return; // nothing serves the model right now: nothing to compare with
    }
    servingVersion = served.version();
    if (replay(new Sample(inputs, Set.of(), served.outputs(), served.nanos()))) {
      fromValidation.increment();
    }
  }

  /** True when the sample was compared. */
  private boolean replay(Sample sample) {
    List<Tensor> answered;
    long start = System.nanoTime();
    try {
      answered = candidate.infer(sample.inputs(), sample.outputs());
    } catch (InferenceException | RuntimeException e) {
      failures.increment();
      LOG.log(Level.FINE, "shadow candidate " + name + " " + version + " failed", e);
      return false;
    }
    long nanos = System.nanoTime() - start;
    String mismatch = comparison.add(sample.served(), answered);
    if (mismatch != null) {
      failures.increment();
      LOG.fine("shadow candidate " + name + " " + version + ": " + mismatch);
      return false;
    }
    candidateLatency.record(nanos);
    servingLatency.record(sample.servingNanos());
    compared.increment();
    return true;
  }

  /** Stops the worker; the candidate's session closes when its current run ends. */
  @Override
  public void close() {
    closed = true;
    worker.interrupt();
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public String sha256() {
    return sha256;
  }

  public ShadowSettings settings() {
    return settings;
  }

  /** The aggregates a heartbeat carries: counts, the comparison's figure, latencies. */
  public Figures figures() {
    // Counts first, so that figures computed after them never describe more than they count.
    long validated = fromValidation.sum();
    long failed = failures.sum();
    long done = compared.sum();
    long dropped = queueFull.sum() + sampler.overCeiling();
    ShadowComparison.Verdict verdict = comparison.verdict();
    LatencyWindow.Percentiles mine = candidateLatency.percentiles();
    LatencyWindow.Percentiles theirs = servingLatency.percentiles();
    return new Figures(
        name,
        servingVersion,
        version,
        comparison.text(),
        done,
        failed,
        dropped,
        verdict.value(),
        verdict.passes(),
        mine.p50Ms(),
        mine.p95Ms(),
        theirs.p50Ms(),
        theirs.p95Ms(),
        verdict.notApplicable(),
        Math.min(validated, done));
  }

  public record Figures(
      String model,
      String servingVersion,
      String candidateVersion,
      String comparison,
      long compared,
      long candidateFailures,
      long dropped,
      double value,
      boolean passes,
      double candidateP50Ms,
      double candidateP95Ms,
      double servingP50Ms,
      double servingP95Ms,
      String notApplicable,
      long validationCompared) {}

  /**
   * The operator's validation inputs, replayed once the model had no live request for {@code idle},
   * at most {@code perSecond} a second, on the serving model through {@code serving}.
   */
  public record Validation(
      List<List<Tensor>> samples, java.time.Duration idle, int perSecond, ServingRunner serving) {
    long pauseMillis() {
      return Math.max(1, 1000 / Math.max(1, perSecond));
    }
  }

  /** Runs the model's serving version off any request path; null when none serves now. */
  @FunctionalInterface
  public interface ServingRunner {
    ServingRun run(List<Tensor> inputs) throws InferenceException;
  }

  /** What the serving version answered, and how long its run took. */
  public record ServingRun(String version, List<Tensor> outputs, long nanos) {}

  private record Sample(
      List<Tensor> inputs, Set<String> outputs, List<Tensor> served, long servingNanos) {}
}
