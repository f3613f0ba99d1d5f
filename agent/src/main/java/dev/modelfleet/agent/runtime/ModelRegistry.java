package dev.modelfleet.agent.runtime;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The models in service, by name. A swap is one atomic map write: new requests see the new
 * model at once, requests in flight finish on the old one (see {@link ServedModel}).
 */
public final class ModelRegistry {

  private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
  private final Map<String, Counters> counters = new ConcurrentHashMap<>();

  /** Counts inference requests and errors per model name since the agent started. */
  public static final class Counters {
    public final LongAdder requests = new LongAdder();
    public final LongAdder errors = new LongAdder();
  }

  /** Puts {@code model} in service and retires the one it replaces, if any. */
  public void swap(ServedModel model) {
    ServedModel previous = models.put(model.name(), model);
    if (previous != null && previous != model) {
      previous.retire();
    }
  }

  /** Takes a model out of service; its session closes when its last request ends. */
  public boolean remove(String name) {
    ServedModel previous = models.remove(name);
    if (previous != null) {
      previous.retire();
      return true;
    }
    return false;
  }

  /** The current model with a reference taken, or null; call {@link ServedModel#release()}. */
  public ServedModel acquire(String name) {
    while (true) {
      ServedModel model = models.get(name);
      if (model == null) {
        return null;
      }
      if (model.tryAcquire()) {
        return model;
      }
      // Retired and drained between get and acquire: the map already holds its successor.
    }
  }

  /** Without a reference: for metadata only, never to run the model. */
  public ServedModel peek(String name) {
    return models.get(name);
  }

  public List<ServedModel> all() {
    return List.copyOf(models.values());
  }

  public Counters counters(String name) {
    return counters.computeIfAbsent(name, n -> new Counters());
  }

  public Map<String, Counters> allCounters() {
    return Map.copyOf(counters);
  }

  public void closeAll() {
    for (String name : List.copyOf(models.keySet())) {
      remove(name);
    }
  }
}
