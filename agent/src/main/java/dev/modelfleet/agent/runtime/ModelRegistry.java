package dev.modelfleet.agent.runtime;

import dev.modelfleet.agent.metrics.AgentMetrics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models in service, by name. A swap is one atomic map write: new requests see the new model at
 * once, requests in flight finish on the old one (see {@link ServedModel}).
 *
 * <p>It also keeps the inference figures of the last {@value #VERSIONS_KEPT} versions served per
 * model, so that after a swap heartbeats still carry the version it replaced (the rollout gates
 * compare the two) while a device that sees many versions keeps a bounded amount.
 */
public final class ModelRegistry {

  static final int VERSIONS_KEPT = 4;

  private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
  // Candidates run beside a served model, never in its place (ShadowModel).
  private final Map<String, ShadowModel> shadows = new ConcurrentHashMap<>();
  // Candidates the device was told to run and could not (download, verification or load failed).
  private final Map<String, ShadowFailure> shadowFailures = new ConcurrentHashMap<>();
  // Per model name, oldest version first. Touched by swaps and heartbeats, never by inference
  // (each ServedModel holds its own figures), so a plain lock costs requests nothing.
  private final Map<String, Deque<VersionStats>> figures = new HashMap<>();
  private final AgentMetrics metrics;

  public ModelRegistry() {
    this(new AgentMetrics());
  }

  /** Counts every model put in service, and every swap, into {@code metrics}. */
  public ModelRegistry(AgentMetrics metrics) {
    this.metrics = metrics;
  }

  /** Puts {@code model} in service and retires the one it replaces, if any. */
  public void swap(ServedModel model) {
    // Before the model is published: a request that sees it already counts into the right place.
    model.countInto(keepFiguresOf(model));
    ServedModel previous = models.put(model.name(), model);
    if (previous != null && previous != model) {
      previous.retire();
    }
    metrics.modelLoaded(model.name(), previous != null && previous != model);
  }

  /**
   * The figures {@code model} counts into: those already kept for its version and variant (a
   * version served again continues them), else its own. Heartbeats send one entry per version, so
   * another variant of the same version replaces the earlier one.
   */
  private VersionStats keepFiguresOf(ServedModel model) {
    synchronized (figures) {
      Deque<VersionStats> versions =
          figures.computeIfAbsent(model.name(), name -> new ArrayDeque<>());
      VersionStats kept = null;
      for (Iterator<VersionStats> it = versions.iterator(); it.hasNext(); ) {
        VersionStats stats = it.next();
        if (stats.version().equals(model.version())) {
          it.remove();
          if (stats.variantId().equals(model.variantId())) {
            kept = stats;
          }
        }
      }
      VersionStats current = kept != null ? kept : model.stats();
      current.runsOn(model.model().executionProvider());
      versions.addLast(current);
      while (versions.size() > VERSIONS_KEPT) {
        versions.removeFirst();
      }
      return current;
    }
  }

  /**
   * Takes a model out of service; its session closes when its last request ends. Its figures go
   * too: no rollout compares versions of a model the device no longer serves.
   */
  public boolean remove(String name) {
    removeShadow(name);
    ServedModel previous = models.remove(name);
    synchronized (figures) {
      figures.remove(name);
    }
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

  /** The figures of every version kept, per model oldest first, as they are now. */
  public List<VersionStats.Snapshot> figures() {
    List<VersionStats> kept = new ArrayList<>();
    synchronized (figures) {
      figures.values().forEach(kept::addAll);
    }
    // Outside the lock: copying and sorting the latency windows need not hold up a swap.
    return kept.stream().map(VersionStats::snapshot).toList();
  }

  /**
   * Cumulative figures of every version kept for {@code name} (all models when null), oldest
   * version first; empty for a model never served.
   */
  public List<VersionStats.Totals> totals(String name) {
    List<VersionStats> kept = new ArrayList<>();
    synchronized (figures) {
      if (name == null) {
        figures.keySet().stream().sorted().forEach(n -> kept.addAll(figures.get(n)));
      } else if (figures.containsKey(name)) {
        kept.addAll(figures.get(name));
      }
    }
    return kept.stream().map(VersionStats::totals).toList();
  }

  /** Runs {@code shadow} beside its model's serving version, in place of an earlier candidate. */
  public void shadow(ShadowModel shadow) {
    shadowFailures.remove(shadow.name());
    ShadowModel previous = shadows.put(shadow.name(), shadow);
    if (previous != null && previous != shadow) {
      previous.close();
    }
  }

  /**
   * Records that the candidate of model {@code name} could not be run, in place of any candidate
   * running before, so that heartbeats tell the server why instead of staying silent.
   */
  public void shadowFailed(ShadowFailure failure) {
    removeShadow(failure.model());
    shadowFailures.put(failure.model(), failure);
  }

  public List<ShadowFailure> shadowFailures() {
    return List.copyOf(shadowFailures.values());
  }

  /** A candidate the device could not run: which, compared how, and why ("code: detail"). */
  public record ShadowFailure(String model, String version, String comparison, String reason) {}

  /** Stops and unloads the candidate of model {@code name}, if there is one. */
  public void removeShadow(String name) {
    shadowFailures.remove(name);
    ShadowModel previous = shadows.remove(name);
    if (previous != null) {
      previous.close();
    }
  }

  /** The candidate running beside model {@code name}, or null (the request path asks this). */
  public ShadowModel shadowOf(String name) {
    return shadows.get(name);
  }

  public List<ShadowModel> shadows() {
    return List.copyOf(shadows.values());
  }

  public void closeAll() {
    for (String name : List.copyOf(models.keySet())) {
      remove(name);
    }
  }
}
