package dev.modelfleet.server.assignment;

import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.util.UUID;

/**
 * Fired inside the transaction that stores a new desired state; pushed to the device after commit.
 */
public record DesiredStateChanged(UUID deviceId, long generation, SignedEnvelope document) {}
