package dev.modelfleet.agent.runtime;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loaded model in service, reference-counted so that a swap never closes a session under a
 * running request: the registry holds one reference, each request holds one while it runs, and the
 * session is closed when the last one is released.
 */
public final class ServedModel {

  private final String name;
  private final String version;
  private final String variantId;
  private final String sha256;
  private final LoadedModel model;
  // Its own until the registry puts the model in service and hands it the figures of its
  // version, which outlive this instance (a version served again adds to the same figures).
  private volatile VersionStats stats;
  // Starts at 1: the registry's own reference, dropped by retire().
  private final AtomicInteger references = new AtomicInteger(1);

  public ServedModel(
      String name, String version, String variantId, String sha256, LoadedModel model) {
    this.name = name;
    this.version = version;
    this.variantId = variantId == null ? "" : variantId;
    this.sha256 = sha256;
    this.model = model;
    this.stats = new VersionStats(name, version, this.variantId, model.executionProvider());
  }

  /**
   * Runs the model and counts the run into this version's figures. A request the model refuses as
   * malformed ({@link InferenceException#clientError()}) never ran, so it is not counted.
   */
  public List<Tensor> infer(List<Tensor> inputs, Set<String> outputs) throws InferenceException {
    VersionStats figures = stats;
    long start = System.nanoTime();
    try {
      List<Tensor> result = model.infer(inputs, outputs, figures);
      figures.countSucceeded();
      return result;
    } catch (InferenceException e) {
      if (!e.clientError()) {
        figures.countFailed(System.nanoTime() - start);
      }
      throw e;
    } catch (RuntimeException e) {
      figures.countFailed(System.nanoTime() - start);
      throw e;
    }
  }

  /**
   * Counts a request answered by a front end (REST, gRPC) with the time it spent decoding the
   * inputs, encoding the outputs and in all, for the statistics endpoint.
   */
  public void countServed(long inputNanos, long outputNanos, long totalNanos) {
    stats.countServed(inputNanos, outputNanos, totalNanos);
  }

  VersionStats stats() {
    return stats;
  }

  void countInto(VersionStats figures) {
    this.stats = figures;
  }

  /** False once the model was retired and drained; the caller then reads the registry again. */
  boolean tryAcquire() {
    while (true) {
      int current = references.get();
      if (current == 0) {
        return false;
      }
      if (references.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  public void release() {
    if (references.decrementAndGet() == 0) {
      model.close();
    }
  }

  void retire() {
    release();
  }

  public boolean closed() {
    return references.get() == 0;
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public String variantId() {
    return variantId;
  }

  public String sha256() {
    return sha256;
  }

  public LoadedModel model() {
    return model;
  }
}
