package dev.modelfleet.server.rollout;

import dev.modelfleet.server.rollout.RolloutPlan.WavePlan;
import dev.modelfleet.server.rollout.WaveStats.GateFigures;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

public final class RolloutViews {

  private static final int MAX_PROBLEMS_SHOWN = 100;
  private static final int MAX_EVENTS_SHOWN = 500;

  /** What a wave under way reads while its rollout is paused (never stored). */
  static final String PAUSED_WAVE = "paused";

  private RolloutViews() {}

  public record RolloutSummary(
      UUID id,
      String name,
      String model,
      String version,
      String selector,
      RolloutState state,
      String stateReason,
      int currentWave,
      int waves,
      Instant startAt,
      Instant createdAt,
      Instant startedAt,
      Instant finishedAt) {

    static RolloutSummary of(Rollout r) {
      return new RolloutSummary(
          r.id,
          r.name,
          r.model.name,
          r.version.version,
          r.selector,
          r.state,
          r.stateReason,
          r.currentWave,
          r.plan.waves().size(),
          r.startAt,
          r.createdAt,
          r.startedAt,
          r.finishedAt);
    }
  }

  /** A rollout with its progress: overall, per wave, the failed devices and its history. */
  public record RolloutView(
      UUID id,
      String name,
      String model,
      String version,
      String selector,
      RolloutState state,
      String stateReason,
      int currentWave,
      Instant startAt,
      String createdBy,
      Instant createdAt,
      Instant startedAt,
      Instant finishedAt,
      RolloutPlan plan,
      Counts totals,
      List<WaveView> waves,
      List<DeviceView> problems,
      List<EventView> events) {}

  /**
   * Devices by state: waiting, pending, downloading, verifying, loading, active, failed, skipped,
   * offline, rolled_back.
   */
  public record Counts(
      int devices, Map<String, Integer> byState, double activePercent, double failedPercent) {

    static Counts of(WaveStats stats, int acceptedFailures) {
      return new Counts(
          stats.devices(),
          stats.byState(),
          round(stats.activePercent(acceptedFailures)),
          round(stats.failedPercent(acceptedFailures)));
    }
  }

  public record WaveView(
      int index,
      String state,
      int planned,
      Counts counts,
      int acceptedFailures,
      Instant startedAt,
      Instant finishedAt,
      Instant approvedAt,
      String approvedBy,
      WavePlan plan,
      GateFigures gate,
      ShadowView shadow) {}

  /**
   * A wave's shadow figures as the API shows them.
   *
   * @param devices devices reporting figures for the candidate
   * @param value the comparison's figure of the worst device (lowest for "&gt;=" comparisons,
   *     highest for "&lt;="); null before any sample
   * @param latencyRatio the highest candidate p95 / serving p95 over the devices
   * @param loadFailures devices that could not run the candidate (download, verification or load)
   * @param fromValidationSet of the compared samples, those replayed from the version's validation
   *     set on devices without live traffic
   */
  public record ShadowView(
      String comparison,
      Instant startedAt,
      String verdict,
      int devices,
      long compared,
      long candidateFailures,
      long dropped,
      Double value,
      UUID worstDevice,
      double candidateP95Ms,
      double servingP95Ms,
      double latencyRatio,
      int loadFailures,
      long fromValidationSet) {}

  public record DeviceView(
      UUID deviceId,
      int wave,
      String hardwareClassId,
      String state,
      String reason,
      Long generation,
      UUID variantId,
      UUID previousVariantId,
      Instant assignedAt) {

    static DeviceView of(DeviceProgress d, String version, Instant offlineSince) {
      String state = d.state(version, offlineSince);
      String reason =
          DeviceProgress.FAILED.equals(state)
                  || RolloutDevice.SKIPPED.equals(state)
                  || RolloutDevice.ROLLED_BACK.equals(state)
                  || DeviceProgress.WAITING_WINDOW.equals(state)
                  || DeviceProgress.WAITING_BUDGET.equals(state)
              ? d.failureReason()
              : null;
      return new DeviceView(
          d.deviceId(),
          d.wave(),
          d.hardwareClassId(),
          state,
          reason,
          d.generation(),
          d.variantId(),
          d.previousVariantId(),
          d.assignedAt());
    }
  }

  public record EventView(Instant at, String actor, String type, Integer wave, String detail) {

    static EventView of(RolloutEvent e) {
      return new EventView(e.at, e.actor, e.type, e.waveIndex, e.detail);
    }
  }

  static double round(double percent) {
    return Math.round(percent * 10) / 10.0;
  }

  /**
   * The view of {@code r}, its figures counted by the database ({@link RolloutTally}): the first
   * {@value #MAX_PROBLEMS_SHOWN} devices with a problem and the latest {@value #MAX_EVENTS_SHOWN}
   * events.
   */
  static RolloutView of(Rollout r, Instant offlineSince) {
    return of(r, offlineSince, true);
  }

  /**
   * A wave's state as the API and the console show it: the stored one, except that a wave under way
   * ({@code running}, or {@code shadowing}) of a paused rollout reads {@code paused}, since the
   * engine no longer steps it; its stored state is what it takes up again on resume.
   */
  static String shownState(Rollout r, RolloutWave w) {
    if (r.state == RolloutState.PAUSED
        && (RolloutWave.RUNNING.equals(w.state) || RolloutWave.SHADOWING.equals(w.state))) {
      return PAUSED_WAVE;
    }
    return w.state;
  }

  /** {@code details}: with the devices with problems and the events; without, both are empty. */
  static RolloutView of(Rollout r, Instant offlineSince, boolean details) {
    String version = r.version.version;
    Map<Integer, WaveStats> stats = RolloutTally.waves(r, offlineSince);
    WaveStats none = WaveStats.of(List.of(), version, offlineSince, 0);
    List<WaveView> waves = new ArrayList<>();
    int accepted = 0;
    for (RolloutWave w : RolloutWave.of(r.id)) {
      WaveStats wave = stats.getOrDefault(w.waveIndex, none);
      accepted += w.acceptedFailures;
      waves.add(
          new WaveView(
              w.waveIndex,
              shownState(r, w),
              w.planned,
              Counts.of(wave, w.acceptedFailures),
              w.acceptedFailures,
              w.startedAt,
              w.finishedAt,
              w.approvedAt,
              w.approvedBy,
              r.plan.wave(w.waveIndex),
              wave.gate(),
              r.plan.hasShadowPhase(w.waveIndex) && w.shadowStartedAt != null
                  ? ShadowGate.figures(r, w)
                  : null));
    }
    Counts totals = Counts.of(WaveStats.sum(stats.values()), accepted);
    List<DeviceView> problems =
        details && RolloutTally.hasProblems(stats.values())
            ? RolloutTally.problems(r, offlineSince, MAX_PROBLEMS_SHOWN)
            : List.of();
    List<EventView> events = new ArrayList<>();
    if (details) {
      events.addAll(
          RolloutEvent.<RolloutEvent>find("rolloutId = ?1 order by id desc", r.id)
              .page(0, MAX_EVENTS_SHOWN)
              .list()
              .stream()
              .map(EventView::of)
              .toList());
      java.util.Collections.reverse(events); // the latest ones, oldest first
    }
    return new RolloutView(
        r.id,
        r.name,
        r.model.name,
        version,
        r.selector,
        r.state,
        r.stateReason,
        r.currentWave,
        r.startAt,
        r.createdBy,
        r.createdAt,
        r.startedAt,
        r.finishedAt,
        r.plan,
        totals,
        waves,
        problems,
        events);
  }
}
