package dev.modelfleet.server.rollout;

import dev.modelfleet.server.rollout.RolloutPlan.WavePlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Judges a running rollout against its plan: each device still deciding (a failed health gate or a
 * timeout is a verdict, recorded once and kept), and each wave (breached its failure threshold;
 * succeeded, with enough of its eligible devices active and its soak time over). {@link
 * RolloutStepper} acts on what it says; the thresholds' arithmetic is {@link WaveStats}'.
 */
final class WaveJudge {

  private WaveJudge() {}

  /**
   * Reaches verdicts on devices still deciding: a device that runs the new version but fails a
   * health gate is failed; one that has not got there within the wave's timeout is failed or
   * skipped as the plan says. Verdicts stick, so a gate's evidence cannot flap a wave.
   */
  static List<DeviceProgress> judgeDevices(
      Rollout rollout,
      List<DeviceProgress> devices,
      Instant offlineSince,
      Instant now,
      Duration maxDownloadWait,
      Consumer<String> gateBreached) {
    List<DeviceProgress> judged = new ArrayList<>(devices.size());
    String version = rollout.version.version;
    for (DeviceProgress d : devices) {
      if (!d.isAssigned() || d.outcome() != null) {
        judged.add(d);
        continue;
      }
      String state = d.state(version, offlineSince);
      WavePlan plan = rollout.plan.wave(d.wave());
      String outcome = null;
      String reason = null;
      if (DeviceProgress.ACTIVE.equals(state)) {
        Optional<String> breach = HealthGate.breach(d, rollout.plan.gates());
        if (breach.isPresent()) {
          outcome = RolloutDevice.FAILED;
          reason = breach.get();
          gateBreached.accept(reason);
        }
      } else if (!DeviceProgress.FAILED.equals(state)
          && now.isAfter(d.timeoutStartsAt(maxDownloadWait).plusSeconds(plan.timeoutSeconds()))) {
        Instant startedAt = d.timeoutStartsAt(maxDownloadWait);
        outcome =
            WavePlan.SKIPPED.equals(plan.onTimeout())
                ? RolloutDevice.SKIPPED
                : RolloutDevice.FAILED;
        reason =
            "timed out: not active within "
                + plan.timeoutSeconds()
                + " s of being told"
                + (startedAt.equals(d.assignedAt())
                    ? ""
                    : " and of its download window or budget opening at "
                        + startedAt
                        + (startedAt.equals(d.waitingUntil())
                            ? ""
                            : " (capped: it reported " + d.waitingUntil() + ")"))
                + " (last state: "
                + state
                + ")";
      }
      if (outcome == null) {
        judged.add(d);
        continue;
      }
      RolloutDevice member =
          RolloutDevice.findById(new RolloutDevice.Key(rollout.id, d.deviceId()));
      member.decide(outcome, reason);
      RolloutEvent.record(
          rollout.id,
          now,
          RolloutEvent.ENGINE,
          "device-" + outcome,
          d.wave(),
          d.deviceId() + ": " + reason);
      judged.add(withOutcome(d, outcome, reason));
    }
    return judged;
  }

  private static DeviceProgress withOutcome(DeviceProgress d, String outcome, String reason) {
    return new DeviceProgress(
        d.deviceId(),
        d.wave(),
        d.hardwareClassId(),
        d.assignedAt(),
        d.generation(),
        d.variantId(),
        d.previousVariantId(),
        outcome,
        reason,
        d.reportedVersion(),
        d.reportedGeneration(),
        d.reportedState(),
        d.reportedReason(),
        d.reportedProviderUsed(),
        d.expectedProvider(),
        d.lastSeenAt(),
        d.now(),
        d.before(),
        d.reportedReasonCode(),
        d.waitingUntil());
  }

  /** The first started wave whose failures passed its plan's threshold, if any. */
  static Optional<RolloutWave> breachedWave(
      Rollout rollout, List<RolloutWave> waves, RolloutProgress progress) {
    return waves.stream()
        .filter(
            wave ->
                wave.isStarted()
                    && progress.wave(wave.waveIndex).failedPercent(wave.acceptedFailures)
                        > rollout.plan.wave(wave.waveIndex).failureThreshold())
        .findFirst();
  }

  /** Why {@code wave} breached: its figures against the threshold, and one failed device. */
  static String breachReason(Rollout rollout, RolloutWave wave, RolloutProgress progress) {
    WaveStats stats = progress.wave(wave.waveIndex);
    String example =
        progress.devicesOf(wave.waveIndex).stream()
            .filter(d -> DeviceProgress.FAILED.equals(progress.stateOf(d)))
            .findFirst()
            .map(d -> "; e.g. " + d.deviceId() + ": " + d.failureReason())
            .orElse("");
    return String.format(
        Locale.ROOT,
        "wave %d: %d of %d eligible devices failed (%.1f %%, %.1f %% allowed)%s",
        wave.waveIndex + 1,
        stats.failed() - wave.acceptedFailures,
        stats.eligible(),
        stats.failedPercent(wave.acceptedFailures),
        rollout.plan.wave(wave.waveIndex).failureThreshold(),
        example);
  }

  /**
   * Whether the running {@code wave} succeeded: enough of its eligible devices active and its soak
   * time over. Empty when not (yet); otherwise the figures that made it.
   */
  static Optional<String> success(
      Rollout rollout, RolloutWave wave, RolloutProgress progress, Instant now) {
    WavePlan plan = rollout.plan.wave(wave.waveIndex);
    WaveStats stats = progress.wave(wave.waveIndex);
    boolean soaked = !now.isBefore(wave.startedAt.plusSeconds(plan.soakSeconds()));
    if (stats.activePercent(wave.acceptedFailures) < plan.successThreshold() || !soaked) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "%d of %d eligible devices active (%.1f %%, %.1f %% needed)",
            stats.active(),
            stats.eligible(),
            stats.activePercent(wave.acceptedFailures),
            plan.successThreshold()));
  }
}
