package dev.modelfleet.server.cluster;

import java.util.UUID;

/**
 * Fired on every replica, on the cluster listener's thread, when a committed change of a rollout is
 * heard (whichever replica made it). Observers return at once and do slow work elsewhere. A null
 * {@code rolloutId} ({@link #ANY}) says notices may have been missed (the listener reconnected):
 * any rollout may have changed.
 */
public record RolloutChangeHeard(UUID rolloutId) {

  public static final RolloutChangeHeard ANY = new RolloutChangeHeard(null);

  public boolean any() {
    return rolloutId == null;
  }
}
