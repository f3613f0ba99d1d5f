package dev.modelfleet.server.rollout;

import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.server.rollout.RolloutPlan.ShadowPhase;
import io.quarkus.hibernate.orm.panache.Panache;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Judges a wave's shadow phase from what its devices reported of the candidate (shadow_figures):
 * enough samples over enough time, then every device's comparison passing, candidate failures and
 * the candidate's p95 against the serving model's within the plan. The figures name the device that
 * decided, so the reason an operator reads is the evidence itself.
 */
final class ShadowGate {

  private static final String SQL =
      """
      select f.device_id, f.compared, f.candidate_failures, f.dropped, f.value, f.passes,
             f.candidate_p50_ms, f.candidate_p95_ms, f.serving_p50_ms, f.serving_p95_ms,
             f.not_applicable, f.load_failure, f.validation_compared
        from rollout_devices rd
        join shadow_figures f on f.device_id = rd.device_id and f.model = ?3
                             and f.candidate_version = ?4 and f.updated_at >= rd.shadow_at
       where rd.rollout_id = ?1 and rd.wave_index = ?2 and rd.shadow_at is not null
         and rd.outcome is null
       order by rd.device_id
      """;

  private ShadowGate() {}

  record DeviceFigures(
      UUID deviceId,
      long compared,
      long failures,
      long dropped,
      double value,
      boolean passes,
      double candidateP50Ms,
      double candidateP95Ms,
      double servingP50Ms,
      double servingP95Ms,
      String notApplicable,
      String loadFailure,
      long validationCompared) {

    double latencyRatio() {
      return servingP95Ms > 0 && candidateP95Ms > 0 ? candidateP95Ms / servingP95Ms : 0;
    }
  }

  record Verdict(boolean decided, boolean passed, String reason) {
    static final Verdict PENDING = new Verdict(false, false, null);

    static Verdict failed(String reason) {
      return new Verdict(true, false, reason);
    }
  }

  /** Devices of the wave whose desired state runs the version as a shadow now. */
  static int shadowing(Rollout rollout, RolloutWave wave) {
    Number count =
        (Number)
            Panache.getEntityManager()
                .createNativeQuery(
                    "select count(*) from rollout_devices rd"
                        + " join desired_models dm on dm.device_id = rd.device_id"
                        + " and dm.model_id = rd.model_id"
                        + " join variants v on v.id = dm.shadow_variant_id"
                        + " where rd.rollout_id = ?1 and rd.wave_index = ?2 and v.version_id = ?3"
                        + " and rd.outcome is null")
                .setParameter(1, rollout.id)
                .setParameter(2, wave.waveIndex)
                .setParameter(3, rollout.version.id)
                .getSingleResult();
    return count.intValue();
  }

  static List<DeviceFigures> load(Rollout rollout, RolloutWave wave) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        Panache.getEntityManager()
            .createNativeQuery(SQL)
            .setParameter(1, rollout.id)
            .setParameter(2, wave.waveIndex)
            .setParameter(3, rollout.model.name)
            .setParameter(4, rollout.version.version)
            .getResultList();
    return rows.stream()
        .map(
            r ->
                new DeviceFigures(
                    (UUID) r[0],
                    ((Number) r[1]).longValue(),
                    ((Number) r[2]).longValue(),
                    ((Number) r[3]).longValue(),
                    ((Number) r[4]).doubleValue(),
                    (Boolean) r[5],
                    ((Number) r[6]).doubleValue(),
                    ((Number) r[7]).doubleValue(),
                    ((Number) r[8]).doubleValue(),
                    ((Number) r[9]).doubleValue(),
                    (String) r[10],
                    (String) r[11],
                    ((Number) r[12]).longValue()))
        .toList();
  }

  static RolloutViews.ShadowView figures(Rollout rollout, RolloutWave wave) {
    ShadowPhase phase = rollout.plan.shadow();
    List<DeviceFigures> devices = load(rollout, wave);
    DeviceFigures worst = worst(phase, devices);
    DeviceFigures slowest =
        devices.stream()
            .max(java.util.Comparator.comparingDouble(DeviceFigures::latencyRatio))
            .orElse(null);
    return new RolloutViews.ShadowView(
        phase.comparison(),
        wave.shadowStartedAt,
        wave.shadowVerdict,
        devices.size(),
        devices.stream().mapToLong(DeviceFigures::compared).sum(),
        devices.stream().mapToLong(DeviceFigures::failures).sum(),
        devices.stream().mapToLong(DeviceFigures::dropped).sum(),
        worst == null ? null : worst.value(),
        worst == null ? null : worst.deviceId(),
        slowest == null ? 0 : slowest.candidateP95Ms(),
        slowest == null ? 0 : slowest.servingP95Ms(),
        slowest == null ? 0 : RolloutViews.round(slowest.latencyRatio() * 100) / 100,
        (int) devices.stream().filter(d -> !d.loadFailure().isEmpty()).count(),
        devices.stream().mapToLong(DeviceFigures::validationCompared).sum());
  }

  /** The device whose comparison figure is worst, among those that compared anything. */
  private static DeviceFigures worst(ShadowPhase phase, List<DeviceFigures> devices) {
    boolean higherIsBetter = ComparisonSpec.parse(phase.comparison()).metric().higherIsBetter();
    DeviceFigures worst = null;
    for (DeviceFigures d : devices) {
      if (d.compared() == 0) {
        continue;
      }
      if (worst == null
          || (!d.passes() && worst.passes())
          || (d.passes() == worst.passes()
              && (higherIsBetter ? d.value() < worst.value() : d.value() > worst.value()))) {
        worst = d;
      }
    }
    return worst;
  }

  /**
   * Decides the phase, or not yet. {@code shadowing}: devices of the wave running the candidate (0:
   * none serves a previous version, so there is nothing to compare and the wave cuts over).
   */
  static Verdict judge(Rollout rollout, RolloutWave wave, int shadowing, Instant now) {
    ShadowPhase phase = rollout.plan.shadow();
    String where = "wave " + (wave.waveIndex + 1) + " shadow phase";
    if (shadowing == 0) {
      return new Verdict(
          true,
          true,
          where + ": no device of the wave serves a previous version, so nothing to compare");
    }
    List<DeviceFigures> devices = load(rollout, wave);
    long compared = devices.stream().mapToLong(DeviceFigures::compared).sum();
    long failures = devices.stream().mapToLong(DeviceFigures::failures).sum();
    Duration elapsed = Duration.between(wave.shadowStartedAt, now);
    for (DeviceFigures d : devices) {
      // A device that cannot even run the candidate will never send figures: fail now, on why.
      if (!d.loadFailure().isEmpty()) {
        return Verdict.failed(
            where
                + ": device "
                + d.deviceId()
                + " could not run the candidate: "
                + d.loadFailure());
      }
      if (d.compared() == 0 && !d.notApplicable().isEmpty()) {
        return Verdict.failed(
            where + ": device " + d.deviceId() + " cannot compare: " + d.notApplicable());
      }
    }
    if (compared < phase.minSamples() || elapsed.toSeconds() < phase.minSeconds()) {
      if (elapsed.toSeconds() >= phase.maxSeconds()) {
        return Verdict.failed(
            String.format(
                Locale.ROOT,
                "%s: only %d of %d samples compared on %d of %d devices within %d s",
                where,
                compared,
                phase.minSamples(),
                devices.size(),
                shadowing,
                phase.maxSeconds()));
      }
      return Verdict.PENDING;
    }
    // Every threshold breached goes into the reason: a candidate both wrong and slow is reported
    // as both, so the operator does not fix one only to be stopped on the other next time.
    List<String> breaches = new ArrayList<>();
    double failurePercent = 100.0 * failures / Math.max(1, compared + failures);
    if (failurePercent > phase.maxFailurePercent()) {
      breaches.add(
          String.format(
              Locale.ROOT,
              "candidate failed on %d of %d sampled requests (%.1f %%, %.1f %% allowed)",
              failures,
              compared + failures,
              failurePercent,
              phase.maxFailurePercent()));
    }
    DeviceFigures worst = worst(phase, devices);
    if (worst != null && !worst.passes()) {
      breaches.add(
          String.format(
              Locale.ROOT,
              "agreement %.4f on device %s over %d samples, needs %s (%d samples on %d devices)",
              worst.value(),
              worst.deviceId(),
              worst.compared(),
              phase.comparison(),
              compared,
              devices.size()));
    }
    DeviceFigures slowest =
        devices.stream()
            .filter(d -> d.latencyRatio() > phase.maxLatencyRatio())
            .max(java.util.Comparator.comparingDouble(DeviceFigures::latencyRatio))
            .orElse(null);
    if (slowest != null) {
      breaches.add(
          String.format(
              Locale.ROOT,
              "candidate p95 %.2f ms vs serving %.2f ms on device %s (x%.2f, x%.2f allowed)",
              slowest.candidateP95Ms(),
              slowest.servingP95Ms(),
              slowest.deviceId(),
              slowest.latencyRatio(),
              phase.maxLatencyRatio()));
    }
    if (!breaches.isEmpty()) {
      return Verdict.failed(where + ": " + String.join("; ", breaches));
    }
    return new Verdict(
        true,
        true,
        String.format(
            Locale.ROOT,
            "%s passed: %d samples on %d devices in %d s, worst %s %.4f, candidate failures"
                + " %.1f %%",
            where,
            compared,
            devices.size(),
            elapsed.toSeconds(),
            phase.comparison(),
            worst == null ? 0 : worst.value(),
            failurePercent));
  }
}
