package dev.modelfleet.server.model;

import java.util.UUID;

/**
 * Fired inside the transaction that recorded a new variant (uploaded or derived). Observers that do
 * slow work with it (deltas from earlier versions) observe it after the commit and leave the upload
 * unblocked.
 */
public record VariantPublished(UUID variantId) {}
