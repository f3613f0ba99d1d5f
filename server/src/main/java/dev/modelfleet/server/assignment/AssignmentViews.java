package dev.modelfleet.server.assignment;

import java.util.List;
import java.util.UUID;

public final class AssignmentViews {

  private AssignmentViews() {}

  /** Exactly one of selector (label selector) or deviceId. */
  public record AssignRequest(String selector, String deviceId) {}

  public record Assigned(UUID deviceId, UUID variantId, long generation) {}

  public record Skipped(UUID deviceId, String reason) {}

  public record AssignmentResult(List<Assigned> assigned, List<Skipped> skipped) {}
}
