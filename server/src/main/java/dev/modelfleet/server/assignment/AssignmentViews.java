package dev.modelfleet.server.assignment;

import java.util.List;
import java.util.Set;
import java.util.UUID;

public final class AssignmentViews {

  private AssignmentViews() {}

  /** Exactly one of selector (label selector) or deviceId; accuracyFloor optional. */
  public record AssignRequest(String selector, String deviceId, Double accuracyFloor) {}

  /**
   * {@code reason}: why the matcher chose this variant for the device; {@code previousVariantId}:
   * what its desired state held for the model before (null: nothing), which a rollback restores.
   */
  public record Assigned(
      UUID deviceId, UUID variantId, long generation, String reason, UUID previousVariantId) {}

  public record Skipped(UUID deviceId, String reason) {}

  public record AssignmentResult(List<Assigned> assigned, List<Skipped> skipped) {}

  /** An assignment that left {@code busy} devices, held by another transaction, for later. */
  public record BatchAssignment(AssignmentResult result, Set<UUID> busy) {}
}
