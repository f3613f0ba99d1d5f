package dev.modelfleet.server.rollout;

import java.util.UUID;

/**
 * Fired on every replica after a rollout changed (on any replica), at most a few times a second per
 * rollout, on the rollout feed's thread: for features that show rollouts and read what they need
 * themselves. Observers return quickly. To receive the rollout object itself, subscribe to {@link
 * RolloutFeed} instead.
 */
public record RolloutChanged(UUID rolloutId) {}
