package dev.modelfleet.server.model;

import java.util.List;
import java.util.UUID;

/**
 * Fired inside the transaction that renewed these variants' manifests before they expire (one
 * targets version up, a fresh expiry). Whatever embeds a manifest must be signed again with the new
 * one before the old one expires: assignment re-issues the desired states that name these variants.
 * Not fired when none was renewed.
 */
public record ManifestsRenewed(List<UUID> variantIds) {}
