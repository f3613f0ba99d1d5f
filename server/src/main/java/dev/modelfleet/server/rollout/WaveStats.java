package dev.modelfleet.server.rollout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of a set of rollout devices (one wave, or all) by state, and the health figures the gates
 * look at, aggregated over the devices that run the new version.
 */
record WaveStats(
    int devices,
    Map<String, Integer> byState,
    int eligible,
    int active,
    int failed,
    int skipped,
    GateFigures gate) {

  /**
   * Sums over active devices with enough requests on both versions (error rates, as percent) and
   * medians of their p95 latencies; null where no device had enough requests yet.
   */
  public record GateFigures(
      Integer judgedDevices,
      Double errorRateNow,
      Double errorRateBefore,
      Double p95NowMs,
      Double p95BeforeMs,
      int providerFallbacks,
      int unhealthy) {}

  static WaveStats of(
      Collection<DeviceProgress> devices, String version, Instant offlineSince, long minRequests) {
    Map<String, Integer> byState = new TreeMap<>();
    int active = 0;
    int failed = 0;
    int skipped = 0;
    long requestsNow = 0;
    long errorsNow = 0;
    long requestsBefore = 0;
    long errorsBefore = 0;
    List<Double> p95Now = new ArrayList<>();
    List<Double> p95Before = new ArrayList<>();
    int fallbacks = 0;
    int unhealthy = 0;
    for (DeviceProgress d : devices) {
      String state = d.state(version, offlineSince);
      byState.merge(state, 1, Integer::sum);
      switch (state) {
        case DeviceProgress.ACTIVE -> active++;
        case RolloutDevice.FAILED -> failed++;
        case RolloutDevice.SKIPPED -> skipped++;
        default -> {}
      }
      String reason = d.failureReason();
      if (RolloutDevice.FAILED.equals(d.outcome()) && reason != null) {
        if (reason.startsWith("provider-fallback")) {
          fallbacks++;
        } else if (reason.startsWith("error-rate-regression")
            || reason.startsWith("latency-regression")) {
          unhealthy++;
        }
      }
      if (d.now() != null
          && d.before() != null
          && d.now().requests() >= minRequests
          && d.before().requests() >= minRequests) {
        requestsNow += d.now().requests();
        errorsNow += d.now().errors();
        requestsBefore += d.before().requests();
        errorsBefore += d.before().errors();
        p95Now.add(d.now().p95Ms());
        p95Before.add(d.before().p95Ms());
      }
    }
    GateFigures gate =
        new GateFigures(
            p95Now.isEmpty() ? null : p95Now.size(),
            requestsNow == 0 ? null : 100.0 * errorsNow / requestsNow,
            requestsBefore == 0 ? null : 100.0 * errorsBefore / requestsBefore,
            median(p95Now),
            median(p95Before),
            fallbacks,
            unhealthy);
    int size = devices.size();
    return new WaveStats(size, byState, size - skipped, active, failed, skipped, gate);
  }

  /**
   * The counts of several waves together (the rollout's totals); no gate figures, which are per
   * wave.
   */
  static WaveStats sum(Collection<WaveStats> waves) {
    Map<String, Integer> byState = new TreeMap<>();
    int devices = 0;
    int eligible = 0;
    int active = 0;
    int failed = 0;
    int skipped = 0;
    for (WaveStats w : waves) {
      w.byState().forEach((state, n) -> byState.merge(state, n, Integer::sum));
      devices += w.devices();
      eligible += w.eligible();
      active += w.active();
      failed += w.failed();
      skipped += w.skipped();
    }
    return new WaveStats(devices, byState, eligible, active, failed, skipped, null);
  }

  /**
   * Percent of eligible devices active, leaving out failures an operator accepted (written off,
   * they no longer count against the wave); 100 when none is left to wait for.
   */
  double activePercent(int acceptedFailures) {
    int counted = eligible - Math.min(acceptedFailures, failed);
    return counted <= 0 ? 100 : 100.0 * active / counted;
  }

  /** Percent of eligible devices failed, not counting failures an operator accepted. */
  double failedPercent(int acceptedFailures) {
    return eligible == 0 ? 0 : 100.0 * Math.max(0, failed - acceptedFailures) / eligible;
  }

  static Double median(List<Double> values) {
    if (values.isEmpty()) {
      return null;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int mid = sorted.size() / 2;
    if (sorted.size() % 2 == 1) {
      return sorted.get(mid);
    }
    // PostgreSQL's percentile_cont(0.5) interpolates so, and the rollout view takes its medians
    // from there: the same figure to the last bit whichever side computes it.
    double low = sorted.get(mid - 1);
    return low + 0.5 * (sorted.get(mid) - low);
  }
}
