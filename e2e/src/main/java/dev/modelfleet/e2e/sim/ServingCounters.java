package dev.modelfleet.e2e.sim;

import dev.modelfleet.protocol.agent.v1.ModelCounters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inference figures one simulated device reports in its heartbeats: made-up traffic for every
 * model version it has served since the simulator started, as ModelCounters asks. Only the version
 * serving now takes traffic; a replaced one keeps its last figures, so the server can compare the
 * new version with the old on the same device.
 */
final class ServingCounters {

  /** The figures of one model version; the version's behaviour shapes them at each beat. */
  private static final class Figures {
    final String model;
    final String version;
    String variantId;
    String variantProvider;
    long requests;

    /** Unrounded, so that a low error rate still adds up over many beats. */
    double errors;

    double p50Ms;
    double p95Ms;
    String providerUsed;

    Figures(String model, String version) {
      this.model = model;
      this.version = version;
    }
  }

  // Guarded by this: installs arrive on download threads, beats on the scheduler.
  private final Map<String, Figures> everServed = new LinkedHashMap<>();
  private final Map<String, Figures> servingNow = new HashMap<>();

  /** The version a model serves from now on (an install, a switch, or a rollback). */
  synchronized void serving(
      String model, String version, String variantId, String variantProvider) {
    Figures figures =
        everServed.computeIfAbsent(model + "@" + version, key -> new Figures(model, version));
    figures.variantId = variantId;
    figures.variantProvider = variantProvider;
    servingNow.put(model, figures);
  }

  synchronized Set<String> servingModels() {
    return Set.copyOf(servingNow.keySet());
  }

  /** The model is no longer desired: its figures stay, but take no more traffic. */
  synchronized void stopped(String model) {
    servingNow.remove(model);
  }

  /** The provider a device says a version runs on: the behaviour's, else the variant's. */
  static String providerUsed(VersionBehaviour behaviour, String variantProvider) {
    return behaviour.provider() != null ? behaviour.provider() : variantProvider;
  }

  /** One heartbeat's worth of traffic on each serving version, then every version's figures. */
  synchronized List<ModelCounters> beat(long requests, Behaviours behaviours) {
    for (Figures figures : servingNow.values()) {
      VersionBehaviour behaviour = behaviours.of(figures.model, figures.version);
      figures.requests += requests;
      figures.errors =
          Math.min(figures.requests, figures.errors + requests * behaviour.errorRate());
      if (figures.requests > 0) {
        figures.p50Ms = behaviour.p50Ms();
        figures.p95Ms = behaviour.p95Ms();
      }
      figures.providerUsed = providerUsed(behaviour, figures.variantProvider);
    }
    List<ModelCounters> all = new ArrayList<>(everServed.size());
    for (Figures figures : everServed.values()) {
      ModelCounters.Builder counters =
          ModelCounters.newBuilder()
              .setModel(figures.model)
              .setVersion(figures.version)
              .setRequests(figures.requests)
              .setErrors((long) Math.floor(figures.errors))
              .setP50Ms(figures.p50Ms)
              .setP95Ms(figures.p95Ms);
      if (figures.variantId != null) {
        counters.setVariantId(figures.variantId);
      }
      if (figures.providerUsed != null) {
        counters.setExecutionProviderUsed(figures.providerUsed);
      }
      all.add(counters.build());
    }
    return all;
  }
}
