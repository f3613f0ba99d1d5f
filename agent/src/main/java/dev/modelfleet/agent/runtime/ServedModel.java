package dev.modelfleet.agent.runtime;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loaded model in service, reference-counted so that a swap never closes a session under a
 * running request: the registry holds one reference, each request holds one while it runs,
 * and the session is closed when the last one is released.
 */
public final class ServedModel {

  private final String name;
  private final String version;
  private final String sha256;
  private final LoadedModel model;
  // Starts at 1: the registry's own reference, dropped by retire().
  private final AtomicInteger references = new AtomicInteger(1);

  public ServedModel(String name, String version, String sha256, LoadedModel model) {
    this.name = name;
    this.version = version;
    this.sha256 = sha256;
    this.model = model;
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

  public String sha256() {
    return sha256;
  }

  public LoadedModel model() {
    return model;
  }
}
