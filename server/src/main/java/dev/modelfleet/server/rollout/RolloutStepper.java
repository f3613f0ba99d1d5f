package dev.modelfleet.server.rollout;

import dev.modelfleet.server.assignment.AssignmentService;
import dev.modelfleet.server.assignment.AssignmentService.Cause;
import dev.modelfleet.server.assignment.AssignmentService.ShadowSampling;
import dev.modelfleet.server.assignment.AssignmentViews.Assigned;
import dev.modelfleet.server.assignment.AssignmentViews.AssignmentResult;
import dev.modelfleet.server.assignment.AssignmentViews.BatchAssignment;
import dev.modelfleet.server.assignment.AssignmentViews.Skipped;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ModelFleetConfig;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.rollout.RolloutPlan.ShadowPhase;
import dev.modelfleet.server.rollout.RolloutPlan.WavePlan;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Moves one rollout forward: starts it, tells each wave's devices in batches, moves to the next
 * wave, completes, pauses or rolls back. Whether devices and waves passed is {@link WaveJudge}'s
 * call. Every method runs in the caller's transaction, which holds the rollout's row lock (the
 * engine claims it with SKIP LOCKED, the API locks it for actions), so two replicas never take the
 * same step twice: the second sees the first's committed result.
 */
@ApplicationScoped
class RolloutStepper {

  private static final Duration QUEUE_RECHECK = Duration.ofSeconds(2);
  private static final int ASSIGN_BATCH = 50;

  /** Late joiners need a selector match over all devices: not on every 200 ms step. */
  private static final Duration JOIN_CHECK_INTERVAL = Duration.ofSeconds(5);

  /** When this replica last looked for late joiners, per rollout; a cache, safe to lose. */
  private final Map<UUID, Instant> lastJoinCheck = new java.util.concurrent.ConcurrentHashMap<>();

  private final AssignmentService assignments;
  private final RolloutSelection selection;
  private final JudgingPace judging = new JudgingPace();
  private final RolloutRollback rollback;
  private final RolloutConfig config;
  private final ModelFleetConfig fleetConfig;
  private final Clock clock;
  private final RolloutMetrics metrics;

  RolloutStepper(
      AssignmentService assignments,
      RolloutSelection selection,
      RolloutRollback rollback,
      RolloutConfig config,
      ModelFleetConfig fleetConfig,
      Clock clock,
      RolloutMetrics metrics) {
    this.assignments = assignments;
    this.selection = selection;
    this.rollback = rollback;
    this.config = config;
    this.fleetConfig = fleetConfig;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Devices not heard from since this instant count as offline. */
  Instant offlineSince() {
    Duration after = config.offlineAfter().orElse(fleetConfig.heartbeatInterval().multipliedBy(3));
    return clock.instant().minus(after);
  }

  /** One engine step of a claimed rollout. */
  @Transactional(Transactional.TxType.MANDATORY)
  void step(Rollout rollout) {
    Instant now = clock.instant();
    rollout.nextEvalAt = now.plus(config.tickInterval());
    switch (rollout.state) {
      case SCHEDULED -> {
        if (now.isBefore(rollout.startAt)) {
          rollout.nextEvalAt = rollout.startAt;
        } else {
          startOrHold(rollout, RolloutEvent.ENGINE);
        }
      }
      case QUEUED -> {
        if (selection.conflicts(rollout).isEmpty()) {
          startOrHold(rollout, RolloutEvent.ENGINE);
        } else {
          rollout.nextEvalAt = now.plus(QUEUE_RECHECK);
        }
      }
      case RUNNING -> advance(rollout, now);
      case ROLLING_BACK -> rollback.rollBack(rollout, RolloutEvent.ENGINE, rollout.stateReason);
      default -> {} // nothing moves by itself in the other states
    }
  }

  /**
   * Starts a rollout whose start is due: fixes its membership and starts the first wave. A conflict
   * queues it (if its plan says so) or pauses it with the reason.
   */
  private void startOrHold(Rollout rollout, String actor) {
    try {
      start(rollout, actor);
    } catch (RolloutConflict conflict) {
      if (RolloutPlan.QUEUE.equals(rollout.plan.onConflict())) {
        hold(rollout, RolloutState.QUEUED, conflict.getMessage(), actor, "queued");
      } else {
        hold(
            rollout,
            RolloutState.PAUSED,
            "could not start: " + conflict.getMessage(),
            actor,
            "paused");
      }
    } catch (dev.modelfleet.server.common.ApiException e) {
      hold(rollout, RolloutState.PAUSED, "could not start: " + e.getMessage(), actor, "paused");
    }
  }

  private void hold(
      Rollout rollout, RolloutState state, String reason, String actor, String event) {
    boolean changed = rollout.state != state || !reason.equals(rollout.stateReason);
    rollout.state = state;
    rollout.stateReason = reason;
    rollout.nextEvalAt = clock.instant().plus(QUEUE_RECHECK);
    if (changed) {
      RolloutEvent.record(rollout.id, clock.instant(), actor, event, null, reason);
    }
  }

  /**
   * Fixes the rollout's membership (devices selected now, placed into waves) and starts wave 1.
   *
   * @throws RolloutConflict when another rollout of the model holds some selected device
   */
  void start(Rollout rollout, String actor) {
    if (rollout.version.isRevoked()) {
      throw ApiError.VERSION_REVOKED.exception(
          "version "
              + rollout.version.version
              + " was revoked ("
              + rollout.version.revokedReason
              + ")");
    }
    List<Device> selected = selection.select(rollout.selector);
    if (selected.isEmpty()) {
      throw ApiError.EMPTY_SELECTION.exception(
          "the selector '" + rollout.selector + "' matches no active device");
    }
    Optional<String> conflict = selection.describeConflict(rollout, selected);
    if (conflict.isPresent()) {
      throw new RolloutConflict(conflict.get());
    }
    List<WavePlanner.Candidate> candidates =
        selected.stream().map(d -> new WavePlanner.Candidate(d.id, d.hardwareClassId)).toList();
    int[] planned = selection.placeInWaves(rollout, candidates);
    Instant now = clock.instant();
    rollout.state = RolloutState.RUNNING;
    rollout.stateReason = null;
    rollout.startedAt = now;
    rollout.currentWave = 0;
    long classes = candidates.stream().map(WavePlanner::classKey).distinct().count();
    RolloutEvent.record(
        rollout.id,
        now,
        actor,
        "started",
        null,
        String.format(
            Locale.ROOT,
            "%d devices in %d waves (%s); the first wave holds a canary of each of %d hardware classes",
            candidates.size(),
            planned.length,
            sizes(planned),
            classes));
    advance(rollout, now);
  }

  private void advance(Rollout rollout, Instant now) {
    if (rollout.version.isRevoked()) {
      pause(
          rollout,
          RolloutEvent.ENGINE,
          "version "
              + rollout.version.version
              + " was revoked ("
              + rollout.version.revokedReason
              + ")");
      return;
    }
    List<RolloutWave> waves = RolloutWave.of(rollout.id);
    // While a wave's devices are still being told, a step tells the next batch and judges the
    // whole rollout only when that is due: judging reads every member (50,000 rows in a large
    // fleet), and doing it for every batch of 50 made a rollout's cost grow with its square.
    RolloutWave telling = waves.get(rollout.currentWave);
    if (RolloutWave.RUNNING.equals(telling.state)
        && !judging.due(rollout.id, now)
        && tellPending(rollout, telling, now)) {
      return;
    }
    long judgingBegan = System.nanoTime();
    try {
      judge(rollout, waves, now);
    } finally {
      judging.took(rollout, now, Duration.ofNanos(System.nanoTime() - judgingBegan));
    }
  }

  private void judge(Rollout rollout, List<RolloutWave> waves, Instant now) {
    if (rollout.plan.joinLate() && joinCheckDue(rollout.id, now)) {
      joinLateDevices(rollout, waves.get(rollout.currentWave), now);
    }
    Instant offlineSince = offlineSince();
    RolloutProgress progress =
        new RolloutProgress(
            rollout,
            WaveJudge.judgeDevices(
                rollout,
                // waves are started in order: those after the current one have nothing to judge
                RolloutProgressQuery.loadThrough(
                    rollout.id, rollout.model.name, rollout.version.version, rollout.currentWave),
                offlineSince,
                now,
                config.maxDownloadWait(),
                metrics::gateBreached),
            offlineSince);

    Optional<RolloutWave> breached = WaveJudge.breachedWave(rollout, waves, progress);
    if (breached.isPresent()) {
      breach(rollout, breached.get(), WaveJudge.breachReason(rollout, breached.get(), progress));
      return;
    }

    RolloutWave current = waves.get(rollout.currentWave);
    while (true) {
      WavePlan plan = rollout.plan.wave(current.waveIndex);
      if (RolloutWave.WAITING.equals(current.state)
          && plan.requireApproval()
          && current.approvedAt == null) {
        current.state = RolloutWave.AWAITING_APPROVAL;
        RolloutEvent.record(
            rollout.id,
            now,
            RolloutEvent.ENGINE,
            "approval-needed",
            current.waveIndex,
            "wave " + (current.waveIndex + 1) + " starts when an operator approves it");
        return;
      }
      if (RolloutWave.WAITING.equals(current.state)
          || (RolloutWave.AWAITING_APPROVAL.equals(current.state) && current.approvedAt != null)) {
        startWave(rollout, current, now);
        return;
      }
      if (RolloutWave.SHADOWING.equals(current.state)) {
        shadowPhase(rollout, current, now);
        return;
      }
      if (!RolloutWave.RUNNING.equals(current.state) || tellPending(rollout, current, now)) {
        return;
      }
      Optional<String> success = WaveJudge.success(rollout, current, progress, now);
      if (success.isEmpty()) {
        return;
      }
      current.state = RolloutWave.SUCCEEDED;
      current.finishedAt = now;
      RolloutEvent.record(
          rollout.id, now, RolloutEvent.ENGINE, "wave-succeeded", current.waveIndex, success.get());
      if (rollout.plan.isLastWave(current.waveIndex)) {
        complete(rollout, now);
        return;
      }
      rollout.currentWave++;
      current = waves.get(rollout.currentWave);
    }
  }

  private void startWave(Rollout rollout, RolloutWave wave, Instant now) {
    if (rollout.plan.hasShadowPhase(wave.waveIndex)) {
      wave.state = RolloutWave.SHADOWING;
      wave.startedAt = now;
      startShadowPhase(rollout, wave, now);
      return;
    }
    wave.state = RolloutWave.RUNNING;
    wave.startedAt = now;
    long members =
        RolloutDevice.count(
            "rolloutId = ?1 and waveIndex = ?2 and outcome is null", rollout.id, wave.waveIndex);
    RolloutEvent.record(
        rollout.id,
        now,
        RolloutEvent.ENGINE,
        "wave-started",
        wave.waveIndex,
        String.format(
            Locale.ROOT,
            "wave %d: telling %d devices to run %s",
            wave.waveIndex + 1,
            members,
            rollout.version.version));
    tellPending(rollout, wave, now);
  }

  private void startShadowPhase(Rollout rollout, RolloutWave wave, Instant now) {
    ShadowPhase phase = rollout.plan.shadow();
    wave.shadowStartedAt = now;
    wave.shadowVerdict = null;
    long members =
        RolloutDevice.count(
            "rolloutId = ?1 and waveIndex = ?2 and outcome is null", rollout.id, wave.waveIndex);
    RolloutEvent.record(
        rollout.id,
        now,
        RolloutEvent.ENGINE,
        "shadow-started",
        wave.waveIndex,
        String.format(
            Locale.ROOT,
            "wave %d: %d devices run %s as a shadow of what they serve, on %.0f %% of requests"
                + " (at most %d/s), compared by %s",
            wave.waveIndex + 1,
            members,
            rollout.version.version,
            phase.sampleRate() * 100,
            phase.maxPerSecond(),
            phase.comparison()));
    tellShadows(rollout, wave, now);
  }

  /**
   * A wave in its shadow phase: tells the rest of its devices to shadow, then cuts over when the
   * evidence holds, or breaches with the figure that failed. A phase that failed and was resumed by
   * an operator starts over with fresh evidence.
   */
  private void shadowPhase(Rollout rollout, RolloutWave wave, Instant now) {
    if (wave.shadowVerdict != null) {
      RolloutDevice.update(
          "shadowAt = null where rolloutId = ?1 and waveIndex = ?2", rollout.id, wave.waveIndex);
      startShadowPhase(rollout, wave, now);
      return;
    }
    if (tellShadows(rollout, wave, now)) {
      return;
    }
    ShadowGate.Verdict verdict =
        ShadowGate.judge(rollout, wave, ShadowGate.shadowing(rollout, wave), now);
    if (!verdict.decided()) {
      return;
    }
    if (!verdict.passed()) {
      wave.shadowVerdict = "failed: " + verdict.reason();
      stopShadows(rollout);
      breach(rollout, wave, verdict.reason());
      return;
    }
    wave.shadowVerdict = "passed: " + verdict.reason();
    wave.state = RolloutWave.RUNNING;
    wave.startedAt = now; // the soak counts from the cut-over
    RolloutEvent.record(
        rollout.id, now, RolloutEvent.ENGINE, "shadow-passed", wave.waveIndex, verdict.reason());
    tellPending(rollout, wave, now);
  }

  /**
   * Stops the shadows this rollout started and never cut over (abort, roll back): a device keeps
   * serving what it served and no longer runs the candidate.
   */
  void stopShadows(Rollout rollout) {
    List<UUID> devices =
        RolloutDevice.<RolloutDevice>list(
                "rolloutId = ?1 and shadowAt is not null and assignedAt is null", rollout.id)
            .stream()
            .map(m -> m.deviceId)
            .toList();
    if (!devices.isEmpty()) {
      assignments.stopShadows(devices, rollout.model);
    }
  }

  /**
   * Tells the next batch of a shadowing wave's members to run the version as a shadow; true while
   * more remain. A device that cannot shadow (it serves no version of the model yet) is only marked
   * told: it gets the version at cut-over like the others.
   */
  private boolean tellShadows(Rollout rollout, RolloutWave wave, Instant now) {
    List<RolloutDevice> members =
        RolloutDevice.<RolloutDevice>find(
                "rolloutId = ?1 and waveIndex = ?2 and shadowAt is null and assignedAt is null"
                    + " and outcome is null order by deviceId",
                rollout.id,
                wave.waveIndex)
            .page(0, ASSIGN_BATCH)
            .list();
    if (members.isEmpty()) {
      return false;
    }
    Map<UUID, RolloutDevice> byDevice = new HashMap<>();
    members.forEach(m -> byDevice.put(m.deviceId, m));
    ShadowPhase phase = rollout.plan.shadow();
    assignments.shadow(
        Device.list("id in ?1", byDevice.keySet()),
        rollout.version,
        rollout.plan.accuracyFloor(),
        new ShadowSampling(
            phase.comparison(),
            phase.sampleRate(),
            phase.maxPerSecond(),
            phase.validationSet(),
            phase.validationSize(),
            phase.idleSeconds()));
    members.forEach(m -> m.shadowAt = now);
    RolloutChanges.touched(rollout.id);
    boolean more = members.size() == ASSIGN_BATCH;
    if (more) {
      rollout.nextEvalAt = now;
    }
    return more;
  }

  /**
   * Points the next batch of a started wave's members at the version; true while more remain, busy
   * ones (their device rows held by another transaction) included. Batches keep each step's
   * transaction short (a 5,000-device wave is told over many short steps, not in one long
   * transaction holding 5,000 device locks), and the first devices of a wave start downloading
   * while the next batch is being signed.
   */
  private boolean tellPending(Rollout rollout, RolloutWave wave, Instant now) {
    List<RolloutDevice> members =
        RolloutDevice.<RolloutDevice>find(
                "rolloutId = ?1 and waveIndex = ?2 and assignedAt is null and outcome is null order by deviceId",
                rollout.id,
                wave.waveIndex)
            .page(0, ASSIGN_BATCH)
            .list();
    if (members.isEmpty()) {
      return false;
    }
    Map<UUID, RolloutDevice> byDevice = new HashMap<>();
    members.forEach(m -> byDevice.put(m.deviceId, m));
    // a member whose device row is held right now (thousands at a time by a heartbeat flush) is
    // not waited for: it stays untold, first in line for the next batch
    BatchAssignment batch =
        assignments.assignUnlessBusy(
            byDevice.keySet(),
            rollout.version,
            rollout.plan.accuracyFloor(),
            new Cause("rollout", rollout.id));
    AssignmentResult result = batch.result();
    for (Assigned a : result.assigned()) {
      RolloutDevice member = byDevice.get(a.deviceId());
      member.assignedAt = now;
      member.generation = a.generation();
      member.variantId = a.variantId();
      member.previousVariantId = a.previousVariantId();
    }
    for (Skipped s : result.skipped()) {
      byDevice.get(s.deviceId()).decide(RolloutDevice.SKIPPED, s.reason());
    }
    // a device deleted meanwhile has no row to assign: nothing will ever report for it
    byDevice.values().stream()
        .filter(m -> !m.isAssigned() && m.outcome == null && !batch.busy().contains(m.deviceId))
        .forEach(m -> m.decide(RolloutDevice.SKIPPED, "the device no longer exists"));
    RolloutChanges.touched(rollout.id); // its devices went from waiting to pending
    boolean more = members.size() == ASSIGN_BATCH;
    // a batch of nothing but busy devices goes on at the usual pace rather than spinning on them
    if (more && batch.busy().size() < members.size()) {
      rollout.nextEvalAt = now; // straight on with the next batch
    }
    // a wave is judged a success only once every member was told
    return more || !batch.busy().isEmpty();
  }

  private boolean joinCheckDue(UUID rolloutId, Instant now) {
    // entries of rollouts that stopped running (completed, aborted, rolled back, or stepped by
    // another replica) go once they are stale, so the map holds only live rollouts
    Instant stale = now.minus(JOIN_CHECK_INTERVAL.multipliedBy(2));
    lastJoinCheck.values().removeIf(checked -> checked.isBefore(stale));
    Instant last = lastJoinCheck.get(rolloutId);
    if (last != null && now.isBefore(last.plus(JOIN_CHECK_INTERVAL))) {
      return false;
    }
    lastJoinCheck.put(rolloutId, now);
    return true;
  }

  /** Adds devices that match the selector now but did not when the rollout started. */
  private void joinLateDevices(Rollout rollout, RolloutWave current, Instant now) {
    List<Device> newcomers = selection.joinLate(rollout, current.waveIndex);
    if (newcomers.isEmpty()) {
      return;
    }
    RolloutEvent.record(
        rollout.id,
        now,
        RolloutEvent.ENGINE,
        "devices-joined",
        current.waveIndex,
        newcomers.size()
            + " devices started matching the selector and joined wave "
            + (current.waveIndex + 1));
    if (current.isStarted()) {
      tellPending(rollout, current, now);
    }
  }

  /** Pauses the rollout or rolls it back, as its plan says, with why the wave failed. */
  private void breach(Rollout rollout, RolloutWave wave, String reason) {
    RolloutEvent.record(
        rollout.id, clock.instant(), RolloutEvent.ENGINE, "breach", wave.waveIndex, reason);
    metrics.waveBreached(rollout.plan.onBreach());
    if (RolloutPlan.ROLLBACK.equals(rollout.plan.onBreach())) {
      wave.state = RolloutWave.FAILED;
      wave.finishedAt = clock.instant();
      rollback.rollBack(rollout, RolloutEvent.ENGINE, reason);
    } else {
      pause(rollout, RolloutEvent.ENGINE, reason);
    }
  }

  void pause(Rollout rollout, String actor, String reason) {
    rollout.state = RolloutState.PAUSED;
    rollout.stateReason = reason;
    RolloutEvent.record(rollout.id, clock.instant(), actor, "paused", rollout.currentWave, reason);
  }

  private void complete(Rollout rollout, Instant now) {
    rollout.state = RolloutState.COMPLETED;
    rollout.stateReason = null;
    rollout.finishedAt = now;
    selection.release(rollout);
    RolloutEvent.record(
        rollout.id,
        now,
        RolloutEvent.ENGINE,
        "completed",
        rollout.currentWave,
        "all waves succeeded");
  }

  private static String sizes(int[] planned) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < planned.length; i++) {
      text.append(i == 0 ? "" : ", ").append(planned[i]);
    }
    return text.toString();
  }

  /** Another rollout of the same model holds some of the selected devices. */
  static final class RolloutConflict extends RuntimeException {
    RolloutConflict(String message) {
      super(message, null, false, false);
    }
  }
}
