package dev.modelfleet.server.matching;

import java.util.List;
import java.util.UUID;

public final class MatchViews {

  private MatchViews() {}

  /**
   * One variant considered for a device: kept (with its rank, 1 = chosen) or dropped, and why.
   * {@code source} says where {@code estimatedMs} came from: "trial", "benchmark" or "none".
   */
  public record Candidate(
      UUID variantId,
      String precision,
      String executionProvider,
      String arch,
      List<String> requiredCpuFlags,
      boolean kept,
      Integer rank,
      Double estimatedMs,
      String source,
      String reason) {}

  /** The matcher's decision for one device and one model version, with every reason. */
  public record MatchDecision(
      UUID deviceId,
      String hardwareClassId,
      Double accuracyFloor,
      Candidate chosen,
      String reason,
      List<Candidate> candidates) {}
}
