package dev.modelfleet.server.assignment;

import java.time.Instant;
import java.util.UUID;

/**
 * Assignment's own views; the parts of a device's details it fills are shaped in {@code
 * device.DeviceDetails}.
 */
public final class DeploymentViews {

  private DeploymentViews() {}

  /** One line of {@code GET /api/v1/devices/{id}/history}. */
  public record HistoryView(
      Instant at,
      String kind,
      String model,
      String version,
      UUID variantId,
      long generation,
      String cause,
      UUID rolloutId,
      UUID bundleId) {}
}
