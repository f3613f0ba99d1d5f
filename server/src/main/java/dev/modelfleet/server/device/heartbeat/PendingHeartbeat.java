package dev.modelfleet.server.device.heartbeat;

import dev.modelfleet.server.device.InstalledModelInfo;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A heartbeat waiting to be written. {@code sentAtMs} is the device's clock (0 when the agent did
 * not say); {@code receivedNanos} is this JVM's monotonic clock, for receipt-to-commit; {@code
 * agentVersion} is the agent release the heartbeat names, null when it names none (an agent from
 * before releases were reported, which leaves what Hello stored alone).
 */
public record PendingHeartbeat(
    UUID deviceId,
    Instant receivedAt,
    long receivedNanos,
    long sentAtMs,
    List<InstalledModelInfo> installed,
    List<ModelHealthInfo> health,
    String agentVersion) {}
