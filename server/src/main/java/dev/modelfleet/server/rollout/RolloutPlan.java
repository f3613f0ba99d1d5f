package dev.modelfleet.server.rollout;

import java.util.List;

/**
 * How a rollout proceeds, as validated at creation and stored with it: the waves, what to do on a
 * breach, the health gates, and whether devices that start matching later join.
 *
 * @param onBreach "pause" or "rollback"
 * @param onConflict "refuse" or "queue": what creation does when another rollout of the model still
 *     holds some of the selected devices
 * @param shadow null, or the shadow phase every wave goes through before its devices serve the
 *     version
 */
public record RolloutPlan(
    List<WavePlan> waves,
    String onBreach,
    HealthGates gates,
    boolean joinLate,
    Double accuracyFloor,
    String onConflict,
    ShadowPhase shadow) {

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
  /**
   * The health gates. {@code maxErrorPercent} and {@code maxP95Ms} are absolute ceilings (null:
   * none): every judged device must stay under them on the new version, which makes them the only
   * latency and error gates for a device that ran no version of the model before.
   */
  public record HealthGates(
      double errorRateTolerance,
      double latencyTolerance,
      long minRequests,
      boolean providerFallback,
      Double maxErrorPercent,
      Double maxP95Ms) {}

  /**
   * Each wave's devices first run the version as a shadow of the one they serve, on a sample of
   * their live requests; the wave cuts over only when the evidence holds.
   *
   * @param comparison how outputs are compared, with its threshold: "cosine>=0.99", "top1>=0.99"
   * @param sampleRate share of live requests replayed on the candidate, 0..1
   * @param maxPerSecond ceiling of samples per second per device (0: none)
   * @param minSamples samples compared over the wave's devices before it is judged
   * @param minSeconds seconds the phase lasts at least
   * @param maxSeconds seconds after which a phase still short of samples fails
   * @param maxLatencyRatio the candidate's p95 over the serving model's, per device, at most
   * @param maxFailurePercent candidate runs that failed, percent of the sampled runs, at most
   * @param waves the indexes (from 0) of the waves that go through the phase, in order; null for
   *     every wave (plans stored before waves could be chosen read so too)
   * @param validationSet null, or the id (sha256) of the version's validation set, uploaded as
   *     derivation samples: devices without live traffic shadow on it
   * @param validationSize its size in bytes, looked up at creation (null without a set)
   * @param idleSeconds seconds without a live request before a device replays the set
   */
  public record ShadowPhase(
      String comparison,
      double sampleRate,
      int maxPerSecond,
      long minSamples,
      long minSeconds,
      long maxSeconds,
      double maxLatencyRatio,
      double maxFailurePercent,
      List<Integer> waves,
      String validationSet,
      Long validationSize,
      Integer idleSeconds) {

    ShadowPhase withValidationSize(long size) {
      return new ShadowPhase(
          comparison,
          sampleRate,
          maxPerSecond,
          minSamples,
          minSeconds,
          maxSeconds,
          maxLatencyRatio,
          maxFailurePercent,
          waves,
          validationSet,
          size,
          idleSeconds);
    }
  }

  RolloutPlan withShadow(ShadowPhase phase) {
    return new RolloutPlan(waves, onBreach, gates, joinLate, accuracyFloor, onConflict, phase);
  }

  /** Whether wave {@code index} first runs the version as a shadow. */
  public boolean hasShadowPhase(int index) {
    return shadow != null && (shadow.waves() == null || shadow.waves().contains(index));
  }

  public WavePlan wave(int index) {
    return waves.get(index);
  }

  public boolean isLastWave(int index) {
    return index == waves.size() - 1;
  }
}
