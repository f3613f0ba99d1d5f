package dev.modelfleet.agent.inference;

import dev.modelfleet.agent.metrics.AgentMetrics;
import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ShadowModel;
import dev.modelfleet.agent.runtime.Tensor;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * What every local front end (REST, gRPC) does around a model run, so that they answer alike: find
 * the model (unknown, or expected but not loaded), run it, count it into the metrics.
 */
public final class LocalInference {

  private final ModelRegistry registry;
  private final BooleanSupplier ready;
  private final Predicate<String> expected;
  private volatile AgentMetrics metrics;

  /**
   * @param ready whether every model the agent should serve is in service (server readiness)
   * @param expected whether the agent should be serving a model of this name (it was activated but
   *     is not loaded now)
   */
  public LocalInference(ModelRegistry registry, BooleanSupplier ready, Predicate<String> expected) {
    this.registry = registry;
    this.ready = ready;
    this.expected = expected;
  }

  /**
   * The most bytes of binary tensors one request may carry (REST binary body, gRPC message): a
   * quarter of the heap, so that a few at once stay clear of an OutOfMemoryError on the agent's
   * small heap, and at least 4 MiB.
   */
  public static int maxBinaryBytes() {
    return (int)
        Math.min(Integer.MAX_VALUE - 16, Math.max(4L << 20, Runtime.getRuntime().maxMemory() / 4));
  }

  void countInto(AgentMetrics metrics) {
    this.metrics = metrics;
  }

  public ModelRegistry registry() {
    return registry;
  }

  public boolean ready() {
    return ready.getAsBoolean();
  }

  /** True for a model this agent should serve but has not loaded now: the caller may retry. */
  public boolean expected(String name) {
    return expected.test(name);
  }

  /**
   * The model in service under {@code name} with a reference taken (release it), or an exception
   * that says why not.
   */
  public ServedModel acquire(String name) throws ModelNotServedException {
    ServedModel model = registry.acquire(name);
    if (model != null) {
      return model;
    }
    if (expected.test(name)) {
      throw new ModelNotServedException(
          true,
          "model '"
              + name
              + "' is not loaded at the moment (it failed to restore or is being"
              + " replaced); see the agent log, retry later");
    }
    throw new ModelNotServedException(
        false,
        "unknown model '"
            + name
            + "'; models served here: "
            + registry.all().stream().map(ServedModel::name).sorted().toList());
  }

  /** Runs {@code model}, counting the run (not the decoding around it) into the metrics. */
  public List<Tensor> run(ServedModel model, List<Tensor> inputs, Set<String> outputs)
      throws InferenceException {
    AgentMetrics counted = metrics;
    long start = System.nanoTime();
    try {
      List<Tensor> result = model.infer(inputs, outputs);
      long nanos = System.nanoTime() - start;
      if (counted != null) {
        counted.inferenceRan(model.name(), model.version(), nanos);
      }
      ShadowModel shadow = registry.shadowOf(model.name());
      if (shadow != null) {
        // off the request path: a draw, and for a sample a non-blocking offer to its queue
        shadow.offer(model.version(), inputs, outputs, result, nanos);
      }
      return result;
    } catch (InferenceException e) {
      if (counted != null && !e.clientError()) {
        counted.inferenceFailed(model.name(), model.version());
      }
      throw e;
    } catch (RuntimeException e) {
      if (counted != null) {
        counted.inferenceFailed(model.name(), model.version());
      }
      throw e;
    }
  }

  /** A model that is not in service: unknown, or expected and not loaded now ({@code later}). */
  public static final class ModelNotServedException extends Exception {
    private final boolean later;

    ModelNotServedException(boolean later, String message) {
      super(message);
      this.later = later;
    }

    /** True when the model should come back (503 / UNAVAILABLE), false when unknown (404). */
    public boolean later() {
      return later;
    }
  }
}
