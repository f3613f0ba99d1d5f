package dev.modelfleet.server.rollout;

import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.matching.MatchingService;
import dev.modelfleet.server.rollout.RolloutPlan.HealthGates;
import dev.modelfleet.server.rollout.RolloutPlan.ShadowPhase;
import dev.modelfleet.server.rollout.RolloutPlan.WavePlan;
import dev.modelfleet.server.rollout.RolloutRequests.CreateRollout;
import dev.modelfleet.server.rollout.RolloutRequests.GatesRequest;
import dev.modelfleet.server.rollout.RolloutRequests.ShadowRequest;
import dev.modelfleet.server.rollout.RolloutRequests.WaveRequest;
import dev.modelfleet.server.rollout.RolloutRequests.WaveSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Turns a create request into a {@link RolloutPlan}, or says exactly what is wrong with it. */
final class RolloutPlanParser {

  static final int MAX_WAVES = 100;
  private static final long MAX_SOAK_SECONDS = Duration.ofDays(7).toSeconds();
  private static final long MAX_TIMEOUT_SECONDS = Duration.ofDays(30).toSeconds();

  /** 1 %, 10 %, 50 %, 100 %: what most fleets do, and what a request without waves gets. */
  static final List<WaveRequest> DEFAULT_WAVES =
      List.of(
          new WaveRequest(1.0, null, null, null, null, null, null, null),
          new WaveRequest(10.0, null, null, null, null, null, null, null),
          new WaveRequest(50.0, null, null, null, null, null, null, null),
          new WaveRequest(100.0, null, null, null, null, null, null, null));

  private static final WaveSettings BUILT_IN =
      new WaveSettings(95.0, 5.0, 60L, 900L, "failed", false);

  private RolloutPlanParser() {}

  static RolloutPlan parse(CreateRollout request) {
    WaveSettings defaults = merge(request.defaults(), BUILT_IN, "defaults");
    List<WaveRequest> waves = request.waves() == null ? DEFAULT_WAVES : request.waves();
    if (waves.isEmpty() || waves.size() > MAX_WAVES) {
      throw invalid("'waves' needs between 1 and " + MAX_WAVES + " waves.");
    }
    List<WavePlan> plans = new ArrayList<>();
    double lastPercent = 0;
    for (int i = 0; i < waves.size(); i++) {
      String where = "wave " + (i + 1);
      WaveRequest wave = waves.get(i);
      if (wave == null) {
        throw invalid(where + " is null; give an object such as {\"percent\": 10}.");
      }
      if ((wave.percent() == null) == (wave.count() == null)) {
        throw invalid(
            where
                + " needs exactly one of 'percent' (cumulative share of the selection"
                + " covered after it) or 'count' (devices it adds).");
      }
      if (wave.percent() != null) {
        double percent = wave.percent();
        if (!(percent > 0 && percent <= 100)) {
          throw invalid(
              where + ": 'percent' must be more than 0 and at most 100, not " + percent + ".");
        }
        if (percent <= lastPercent) {
          throw invalid(
              where
                  + ": 'percent' is cumulative and must grow from wave to wave ("
                  + percent
                  + " after "
                  + lastPercent
                  + ").");
        }
        lastPercent = percent;
      } else if (wave.count() < 1) {
        throw invalid(where + ": 'count' must be at least 1, not " + wave.count() + ".");
      }
      WaveSettings settings =
          merge(
              new WaveSettings(
                  wave.successThreshold(),
                  wave.failureThreshold(),
                  wave.soakSeconds(),
                  wave.timeoutSeconds(),
                  wave.onTimeout(),
                  wave.requireApproval()),
              defaults,
              where);
      plans.add(
          new WavePlan(
              wave.percent(),
              wave.count(),
              settings.successThreshold(),
              settings.failureThreshold(),
              settings.soakSeconds(),
              settings.timeoutSeconds(),
              settings.onTimeout(),
              settings.requireApproval()));
    }
    WaveRequest last = waves.get(waves.size() - 1);
    if (last.percent() == null || last.percent() != 100.0) {
      throw invalid(
          "The waves do not add up: the last wave must be {\"percent\": 100} so that"
              + " every selected device is covered (the last one here is "
              + (last.percent() == null ? "'count' " + last.count() : last.percent() + " %")
              + ").");
    }
    return new RolloutPlan(
        List.copyOf(plans),
        oneOf("onBreach", request.onBreach(), RolloutPlan.PAUSE, RolloutPlan.ROLLBACK),
        gates(request.gates()),
        Boolean.TRUE.equals(request.joinLate()),
        MatchingService.checkAccuracyFloor(request.accuracyFloor()),
        oneOf("onConflict", request.onConflict(), RolloutPlan.REFUSE, RolloutPlan.QUEUE),
        shadow(request.shadow(), plans.size()));
  }

  private static ShadowPhase shadow(ShadowRequest shadow, int waveCount) {
    if (shadow == null) {
      return null;
    }
    if (shadow.comparison() == null || shadow.comparison().isBlank()) {
      throw invalid(
          "shadow: 'comparison' is required, e.g. \"top1>=0.99\", \"cosine>=0.99\" or"
              + " \"maxabs<=0.05\".");
    }
    try {
      ComparisonSpec.parse(shadow.comparison());
    } catch (IllegalArgumentException e) {
      throw invalid(
          "shadow: 'comparison' \"" + shadow.comparison() + "\" is not valid: " + e.getMessage());
    }
    double rate = first(shadow.sampleRate(), 0.1);
    if (!(rate > 0 && rate <= 1)) {
      throw invalid("shadow: 'sampleRate' is a share of requests, more than 0 and at most 1.");
    }
    int perSecond = first(shadow.maxPerSecond(), 20);
    long minSamples = first(shadow.minSamples(), 200L);
    long minSeconds = first(shadow.minSeconds(), 60L);
    long maxSeconds = first(shadow.maxSeconds(), 3600L);
    double latency = first(shadow.maxLatencyRatio(), 1.5);
    double failures = first(shadow.maxFailurePercent(), 1.0);
    if (perSecond < 0) {
      throw invalid("shadow: 'maxPerSecond' must be 0 (no ceiling) or more.");
    }
    if (minSamples < 1) {
      throw invalid("shadow: 'minSamples' must be at least 1.");
    }
    if (minSeconds < 0 || maxSeconds <= minSeconds || maxSeconds > MAX_TIMEOUT_SECONDS) {
      throw invalid(
          "shadow: 'minSeconds' must be 0 or more and below 'maxSeconds', which is at most "
              + MAX_TIMEOUT_SECONDS
              + ".");
    }
    if (!(latency > 0)) {
      throw invalid("shadow: 'maxLatencyRatio' (candidate p95 / serving p95) must be above 0.");
    }
    percent("shadow", "maxFailurePercent", failures);
    List<Integer> waves = shadowWaves(shadow.waves(), waveCount);
    String validationSet = shadow.validationSet() == null ? null : shadow.validationSet().strip();
    if (validationSet != null && !validationSet.matches("[0-9a-f]{64}")) {
      throw invalid(
          "shadow: 'validationSet' is the id (a lowercase sha256) that the upload to"
              + " .../versions/{version}/derivation-samples returned.");
    }
    int idle = first(shadow.idleSeconds(), 60);
    if (idle < 0 || idle > 86_400) {
      throw invalid("shadow: 'idleSeconds' must be between 0 and 86400.");
    }
    return new ShadowPhase(
        shadow.comparison().strip(),
        rate,
        perSecond,
        minSamples,
        minSeconds,
        maxSeconds,
        latency,
        failures,
        waves,
        validationSet,
        null,
        idle);
  }

  /** The chosen waves, sorted; null (every wave) when none are named. */
  private static List<Integer> shadowWaves(List<Integer> named, int waveCount) {
    if (named == null) {
      return null;
    }
    if (named.isEmpty()) {
      throw invalid(
          "shadow: 'waves' lists the indexes of the waves with a shadow phase (0 is the first);"
              + " leave it out for every wave, or leave 'shadow' out for none.");
    }
    java.util.TreeSet<Integer> waves = new java.util.TreeSet<>();
    for (Integer index : named) {
      if (index == null || index < 0 || index >= waveCount) {
        throw invalid(
            "shadow: 'waves' holds wave indexes from 0 to "
                + (waveCount - 1)
                + " (this plan has "
                + waveCount
                + " waves), not "
                + index
                + ".");
      }
      if (!waves.add(index)) {
        throw invalid("shadow: 'waves' names wave " + index + " twice.");
      }
    }
    return List.copyOf(waves);
  }

  private static WaveSettings merge(WaveSettings given, WaveSettings fallback, String where) {
    WaveSettings s = given == null ? fallback : given;
    double success =
        percent(
            where, "successThreshold", first(s.successThreshold(), fallback.successThreshold()));
    double failure =
        percent(
            where, "failureThreshold", first(s.failureThreshold(), fallback.failureThreshold()));
    long soak = first(s.soakSeconds(), fallback.soakSeconds());
    if (soak < 0 || soak > MAX_SOAK_SECONDS) {
      throw invalid(where + ": 'soakSeconds' must be between 0 and " + MAX_SOAK_SECONDS + ".");
    }
    long timeout = first(s.timeoutSeconds(), fallback.timeoutSeconds());
    if (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
      throw invalid(
          where + ": 'timeoutSeconds' must be between 1 and " + MAX_TIMEOUT_SECONDS + ".");
    }
    String onTimeout = first(s.onTimeout(), fallback.onTimeout());
    if (!WavePlan.FAILED.equals(onTimeout) && !WavePlan.SKIPPED.equals(onTimeout)) {
      throw invalid(
          where + ": 'onTimeout' must be 'failed' or 'skipped', not '" + onTimeout + "'.");
    }
    return new WaveSettings(
        success,
        failure,
        soak,
        timeout,
        onTimeout,
        first(s.requireApproval(), fallback.requireApproval()));
  }

  private static HealthGates gates(GatesRequest gates) {
    GatesRequest g = gates == null ? new GatesRequest(null, null, null, null, null, null) : gates;
    double errors = first(g.errorRateTolerance(), 1.0);
    double latency = first(g.latencyTolerance(), 25.0);
    long minRequests = first(g.minRequests(), 50L);
    if (!(errors >= 0 && errors <= 100)) {
      throw invalid("gates: 'errorRateTolerance' is in percentage points, between 0 and 100.");
    }
    if (!(latency >= 0 && latency <= 10_000)) {
      throw invalid("gates: 'latencyTolerance' is a percentage between 0 and 10000.");
    }
    if (minRequests < 1) {
      throw invalid("gates: 'minRequests' must be at least 1.");
    }
    if (g.maxErrorPercent() != null) {
      percent("gates", "maxErrorPercent", g.maxErrorPercent());
    }
    if (g.maxP95Ms() != null && !(g.maxP95Ms() > 0 && g.maxP95Ms() <= 3_600_000)) {
      throw invalid(
          "gates: 'maxP95Ms' is a ceiling on each device's p95 model-run latency in"
              + " milliseconds, more than 0 (and at most an hour), not "
              + g.maxP95Ms()
              + ".");
    }
    return new HealthGates(
        errors,
        latency,
        minRequests,
        first(g.providerFallback(), true),
        g.maxErrorPercent(),
        g.maxP95Ms());
  }

  private static double percent(String where, String field, double value) {
    if (!(value >= 0 && value <= 100)) {
      throw invalid(
          where + ": '" + field + "' is a percentage between 0 and 100, not " + value + ".");
    }
    return value;
  }

  private static String oneOf(String field, String value, String byDefault, String other) {
    if (value == null || value.equals(byDefault)) {
      return byDefault;
    }
    if (value.equals(other)) {
      return other;
    }
    throw invalid(
        "'" + field + "' must be '" + byDefault + "' or '" + other + "', not '" + value + "'.");
  }

  private static <T> T first(T value, T fallback) {
    return value != null ? value : fallback;
  }

  private static RuntimeException invalid(String detail) {
    return ApiError.INVALID_ROLLOUT_PLAN.exception(detail);
  }
}
