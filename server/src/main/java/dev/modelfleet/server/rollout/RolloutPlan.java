package dev.modelfleet.server.rollout;

import java.util.List;

/**
 * How a rollout proceeds, as validated at creation and stored with it: the waves, what to do on a
 * breach, the health gates, and whether devices that start matching later join.
 *
 * @param onBreach "pause" or "rollback"
 * @param onConflict "refuse" or "queue": what creation does when another rollout of the model still
 *     holds some of the selected devices
 */
public record RolloutPlan(
    List<WavePlan> waves,
    String onBreach,
    HealthGates gates,
    boolean joinLate,
    Double accuracyFloor,
    String onConflict) {

  public static final String PAUSE = "pause";
  public static final String ROLLBACK = "rollback";
  public static final String REFUSE = "refuse";
  public static final String QUEUE = "queue";

  /**
   * One wave. Exactly one of {@code percent} (the cumulative share of the selection covered once
   * this wave is out) or {@code count} (devices added by this wave).
   *
   * @param successThreshold percent of the wave's eligible devices that must run the version before
   *     the next wave starts
   * @param failureThreshold percent of the wave's eligible devices that may fail; more is a breach
   * @param onTimeout "failed" or "skipped": how a device counts that has not reported the version
   *     active within {@code timeoutSeconds} of being told
   */
  public record WavePlan(
      Double percent,
      Integer count,
      double successThreshold,
      double failureThreshold,
      long soakSeconds,
      long timeoutSeconds,
      String onTimeout,
      boolean requireApproval) {

    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";
  }

  /**
   * Health beyond "it installed", judged per device against the version it ran before.
   *
   * @param errorRateTolerance percentage points the new version's error rate may exceed the old
   * @param latencyTolerance percent the new version's p95 latency may exceed the old
   * @param minRequests requests each version must have served on a device before it is judged
   * @param providerFallback whether running on another execution provider than matched fails
   */
  public record HealthGates(
      double errorRateTolerance,
      double latencyTolerance,
      long minRequests,
      boolean providerFallback) {}

  public WavePlan wave(int index) {
    return waves.get(index);
  }

  public boolean isLastWave(int index) {
    return index == waves.size() - 1;
  }
}
