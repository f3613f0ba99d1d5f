package dev.modelfleet.server.assignment;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import java.util.UUID;

/** A deployment report as it came off a device's stream. */
public record ProgressReport(UUID deviceId, DeploymentProgress progress) {}
