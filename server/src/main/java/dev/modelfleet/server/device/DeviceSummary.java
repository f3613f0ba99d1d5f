package dev.modelfleet.server.device;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

public record DeviceSummary(
    UUID id,
    String name,
    Map<String, String> labels,
    DeviceStatus status,
    Instant enrolledAt,
    Instant lastSeenAt,
    String hardwareClassId,
    String agentVersion) {

  public static DeviceSummary of(Device d) {
    return new DeviceSummary(
        d.id,
        d.name,
        d.labels,
        d.status,
        d.enrolledAt,
        d.lastSeenAt,
        d.hardwareClassId,
        d.agentVersion);
  }
}
