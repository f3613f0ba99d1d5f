package dev.modelfleet.server.assignment;

import java.util.List;

/**
 * Fired once inside the transaction that stored a batch of new desired states (one {@link
 * DesiredStateChanged} each, fired too): for what costs a statement per change, such as telling the
 * other replicas, which can then do it once for the batch.
 */
public record DesiredStatesPublished(List<DesiredStateChanged> changes) {}
