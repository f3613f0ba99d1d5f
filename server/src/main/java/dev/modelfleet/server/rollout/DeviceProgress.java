package dev.modelfleet.server.rollout;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * One device of a rollout as the engine and the progress view see it: its place and verdict, what
 * it last reported for the model, and its inference figures for the new and the previous version.
 */
record DeviceProgress(
    UUID deviceId,
    int wave,
    String hardwareClassId,
    Instant assignedAt,
    Long generation,
    UUID variantId,
    UUID previousVariantId,
    String outcome,
    String outcomeReason,
    String reportedVersion,
    long reportedGeneration,
    String reportedState,
    String reportedReason,
    String reportedProviderUsed,
    String expectedProvider,
    Instant lastSeenAt,
    Health now,
    Health before,
    String reportedReasonCode,
    Instant waitingUntil) {

  /** Figures a device's heartbeats reported for one version; null where it reported none. */
  record Health(long requests, long errors, double p95Ms, String providerUsed) {
    double errorPercent() {
      return requests == 0 ? 0 : 100.0 * errors / requests;
    }
  }

  static final String WAITING = "waiting";
  static final String PENDING = "pending";
  static final String ACTIVE = "active";
  static final String FAILED = "failed";
  static final String OFFLINE = "offline";

  /** A download held back by the device's download policy (see docs/rollouts.md). */
  static final String WAITING_WINDOW = "waiting_window";

  static final String WAITING_BUDGET = "waiting_budget";

  boolean isAssigned() {
    return assignedAt != null;
  }

  /**
   * "waiting" (its wave has not started), what the device reported for this rollout's generation
   * ("pending", "downloading", "verifying", "loading", "active", "failed"; "waiting_window" or
   * "waiting_budget" while its download policy holds the download back), the engine's verdict
   * ("skipped", "failed", "rolled_back"), or "offline" for a device not heard from within {@code
   * offlineSince} that has not finished.
   */
  String state(String rolloutVersion, Instant offlineSince) {
    if (outcome != null) {
      return outcome;
    }
    String state = WAITING;
    if (isAssigned()) {
      boolean reportedOurs =
          rolloutVersion.equals(reportedVersion)
              && generation != null
              && reportedGeneration >= generation
              && reportedState != null;
      state = reportedOurs && !"unknown".equals(reportedState) ? reportedState : PENDING;
      if (reportedOurs
          && (WAITING_WINDOW.equals(reportedReasonCode)
              || WAITING_BUDGET.equals(reportedReasonCode))) {
        state = reportedReasonCode;
      }
    }
    boolean finished = ACTIVE.equals(state) || FAILED.equals(state);
    if (!finished && (lastSeenAt == null || lastSeenAt.isBefore(offlineSince))) {
      return OFFLINE;
    }
    return state;
  }

  /**
   * When the wave's timeout starts for this device: when it was told, or later when its download
   * policy held the download back until a window opened or a new day's budget (as it reported), but
   * never later than {@code maxWait} after it was told: a device (a wrong clock, a policy that
   * never opens, or a lie) cannot hold a wave forever.
   */
  Instant timeoutStartsAt(Duration maxWait) {
    if (waitingUntil == null || !waitingUntil.isAfter(assignedAt)) {
      return assignedAt;
    }
    Instant latest = assignedAt.plus(maxWait);
    return waitingUntil.isAfter(latest) ? latest : waitingUntil;
  }

  /** Why it failed, as the engine or the device said. */
  String failureReason() {
    return outcomeReason != null ? outcomeReason : reportedReason;
  }
}
