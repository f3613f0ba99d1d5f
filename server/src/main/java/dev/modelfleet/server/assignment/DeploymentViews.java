package dev.modelfleet.server.assignment;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

public final class DeploymentViews {

  private DeploymentViews() {}

  public record DesiredModelView(
      String model,
      String version,
      UUID variantId,
      String precision,
      String executionProvider,
      String sha256,
      long size) {}

  public record DesiredView(
      long generation, Instant issuedAt, Instant expiresAt, List<DesiredModelView> models) {}

  public record DeploymentView(
      String model,
      String version,
      UUID variantId,
      long generation,
      String state,
      String reason,
      String reasonCode,
      long bytesDone,
      long bytesTotal,
      String executionProviderUsed,
      Instant updatedAt) {}

  /** One line of {@code GET /api/v1/devices/{id}/history}. */
  public record HistoryView(
      Instant at,
      String kind,
      String model,
      String version,
      UUID variantId,
      long generation,
      String cause,
      UUID rolloutId) {}
}
