package dev.modelfleet.e2e.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The behaviours in force for the whole fleet. A test may swap one while devices run (a version
 * going bad mid-rollout); traffic figures follow at the next heartbeat, install failures and
 * silence at the next desired state, as they would on real devices.
 */
final class Behaviours {

  /** Copied on write: read on every heartbeat of every device, changed once in a while. */
  private volatile List<VersionBehaviour> inForce;

  Behaviours(List<VersionBehaviour> initial) {
    inForce = List.of();
    initial.forEach(this::put);
  }

  /** The most specific behaviour written for that model version, else a healthy one. */
  VersionBehaviour of(String model, String version) {
    VersionBehaviour best = VersionBehaviour.HEALTHY;
    int bestSpecificity = -1;
    for (VersionBehaviour behaviour : inForce) {
      if (behaviour.appliesTo(model, version) && behaviour.specificity() > bestSpecificity) {
        best = behaviour;
        bestSpecificity = behaviour.specificity();
      }
    }
    return best;
  }

  /** Replaces the behaviour written for the same model and version, or adds it. */
  synchronized void put(VersionBehaviour behaviour) {
    List<VersionBehaviour> next = new ArrayList<>(inForce);
    next.removeIf(
        old ->
            Objects.equals(old.model(), behaviour.model())
                && old.version().equals(behaviour.version()));
    next.add(behaviour);
    inForce = List.copyOf(next);
  }

  List<VersionBehaviour> all() {
    return inForce;
  }
}
