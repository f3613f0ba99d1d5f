package dev.modelfleet.server.assignment;

import java.util.UUID;

/**
 * Fired inside the transaction that records a device's deployment report for a model, when its
 * state, version or generation changed (not for every byte count of a download).
 */
public record DeploymentProgressed(UUID deviceId, String model, String version, String state) {}
