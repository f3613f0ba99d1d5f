package dev.modelfleet.server.rollout;

import dev.modelfleet.server.assignment.AssignmentService;
import dev.modelfleet.server.assignment.AssignmentService.Cause;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Undoes a rollout, after a breach (the engine) or when an operator asks: in the caller's
 * transaction, which holds the rollout's row lock.
 */
@ApplicationScoped
class RolloutRollback {

  private static final Logger LOG = Logger.getLogger(RolloutRollback.class);

  private final AssignmentService assignments;
  private final RolloutSelection selection;
  private final Clock clock;

  RolloutRollback(AssignmentService assignments, RolloutSelection selection, Clock clock) {
    this.assignments = assignments;
    this.selection = selection;
    this.clock = clock;
  }

  /**
   * Points every device the rollout changed back at what it ran before, each with a new, higher
   * generation. A device whose desired state moved on meanwhile is left alone.
   */
  @Transactional(Transactional.TxType.MANDATORY)
  void rollBack(Rollout rollout, String actor, String reason) {
    Instant now = clock.instant();
    rollout.state = RolloutState.ROLLING_BACK;
    rollout.stateReason = reason;
    RolloutEvent.record(rollout.id, now, actor, "rollback-started", rollout.currentWave, reason);
    List<RolloutDevice> changed =
        RolloutDevice.list(
            "rolloutId = ?1 and assignedAt is not null and (outcome is null or outcome <> ?2)",
            rollout.id,
            RolloutDevice.ROLLED_BACK);
    int restored = 0;
    int leftAlone = 0;
    Cause cause = Cause.rollback(rollout.id);
    for (RolloutDevice member : changed) {
      Optional<Long> generation =
          assignments.revert(
              member.deviceId, rollout.model, member.variantId, member.previousVariantId, cause);
      if (generation.isPresent()) {
        restored++;
        member.decide(
            RolloutDevice.ROLLED_BACK,
            member.previousVariantId == null
                ? "model removed (the device had no earlier version)"
                : "previous version restored at generation " + generation.get());
      } else {
        leftAlone++;
        member.decide(
            RolloutDevice.ROLLED_BACK,
            "left alone: its desired state changed after this rollout set it");
      }
    }
    rollout.state = RolloutState.ROLLED_BACK;
    rollout.finishedAt = now;
    selection.release(rollout);
    RolloutEvent.record(
        rollout.id,
        now,
        actor,
        "rolled-back",
        rollout.currentWave,
        restored + " devices restored to their previous version, " + leftAlone + " left alone");
    LOG.infof("rollout %s rolled back: %s", rollout.id, reason);
  }
}
