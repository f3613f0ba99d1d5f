package dev.modelfleet.server.rollout;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How often the engine judges a running rollout as a whole (every member's report and health, read
 * in one query). A small rollout is judged at every step; a large one no more often than keeps
 * judging to about a fifth of the engine's time: the pause after a judgment is four times what it
 * took. Memory only, per replica: a replica that never judged a rollout judges it at once, so a
 * restart or another replica loses nothing but a little pace.
 */
final class JudgingPace {

  /** Judging at four times its own cost apart: at most a fifth of the engine's time. */
  private static final int SPACING = 4;

  /** Below this a judgment is cheap enough to run at every step (a few hundred devices). */
  private static final Duration CHEAP = Duration.ofMillis(20);

  private final Map<UUID, Instant> nextJudgment = new ConcurrentHashMap<>();

  boolean due(UUID rolloutId, Instant now) {
    Instant next = nextJudgment.get(rolloutId);
    return next == null || !now.isBefore(next);
  }

  /**
   * Records a judgment that took {@code cost}; a costly one also pushes the rollout's next step
   * back, unless a step is already wanted at once (a batch still to tell).
   */
  void took(Rollout rollout, Instant now, Duration cost) {
    // entries of rollouts no longer stepped here go once they are well past due
    nextJudgment.values().removeIf(next -> next.isBefore(now.minusSeconds(60)));
    if (cost.compareTo(CHEAP) < 0) {
      nextJudgment.remove(rollout.id);
      return;
    }
    Instant next = now.plus(cost.multipliedBy(SPACING));
    nextJudgment.put(rollout.id, next);
    if (rollout.nextEvalAt != null
        && rollout.nextEvalAt.isAfter(now)
        && rollout.nextEvalAt.isBefore(next)
        && RolloutState.RUNNING.equals(rollout.state)) {
      rollout.nextEvalAt = next;
    }
  }
}
