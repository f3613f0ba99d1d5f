package dev.modelfleet.server.rollout;

import java.time.Instant;
import java.util.List;

/** What the admin API accepts; every field but model, version and selector has a default. */
public final class RolloutRequests {

  private RolloutRequests() {}

  /**
   * @param start true: start now (default false: the rollout waits for {@code POST .../start})
   * @param startAt start at this instant instead (a scheduled rollout)
   */
  public record CreateRollout(
      String name,
      String model,
      String version,
      String selector,
      List<WaveRequest> waves,
      WaveSettings defaults,
      String onBreach,
      GatesRequest gates,
      Boolean joinLate,
      Double accuracyFloor,
      Instant startAt,
      Boolean start,
      String onConflict,
      ShadowRequest shadow) {}

  /**
   * A shadow phase for every wave, or for the waves listed in {@code waves} (indexes from 0);
   * fields left out take the defaults of the API docs.
   */
  public record ShadowRequest(
      String comparison,
      Double sampleRate,
      Integer maxPerSecond,
      Long minSamples,
      Long minSeconds,
      Long maxSeconds,
      Double maxLatencyRatio,
      Double maxFailurePercent,
      List<Integer> waves,
      String validationSet,
      Integer idleSeconds) {}

  /** One wave; settings left out come from the rollout's {@code defaults}. */
  public record WaveRequest(
      Double percent,
      Integer count,
      Double successThreshold,
      Double failureThreshold,
      Long soakSeconds,
      Long timeoutSeconds,
      String onTimeout,
      Boolean requireApproval) {}

  public record WaveSettings(
      Double successThreshold,
      Double failureThreshold,
      Long soakSeconds,
      Long timeoutSeconds,
      String onTimeout,
      Boolean requireApproval) {}

  public record GatesRequest(
      Double errorRateTolerance,
      Double latencyTolerance,
      Long minRequests,
      Boolean providerFallback,
      Double maxErrorPercent,
      Double maxP95Ms) {}

  /** Body of the action endpoints; optional. */
  public record ActionRequest(String reason) {}
}
