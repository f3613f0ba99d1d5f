package dev.modelfleet.server.assignment;

import java.util.UUID;

/**
 * A device's deployment report for a model that changed its state, version or generation; fired in
 * batches ({@link DeploymentsProgressed}).
 */
public record DeploymentProgressed(UUID deviceId, String model, String version, String state) {}
