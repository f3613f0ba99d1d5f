package dev.modelfleet.server.assignment;

import java.util.List;

/**
 * Fired once inside the transaction that records a batch of deployment reports, listing each report
 * that changed a device's state, version or generation for a model (not every byte count of a
 * download).
 */
public record DeploymentsProgressed(List<DeploymentProgressed> changes) {}
