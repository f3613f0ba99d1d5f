package dev.modelfleet.server.cluster;

import java.util.UUID;

/**
 * Fired inside a transaction that changes a rollout or the state of one of its devices, by the
 * feature that owns rollouts: {@link ClusterNotifier} turns it into a NOTIFY, which every replica
 * (this one included) hears after commit as a {@link RolloutChangeHeard}.
 */
public record RolloutChangeNotice(UUID rolloutId) {}
