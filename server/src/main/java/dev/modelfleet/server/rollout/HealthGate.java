package dev.modelfleet.server.rollout;

import dev.modelfleet.server.matching.ProviderMismatchService;
import dev.modelfleet.server.rollout.DeviceProgress.Health;
import dev.modelfleet.server.rollout.RolloutPlan.HealthGates;
import java.util.Locale;
import java.util.Optional;

/**
 * Judges a device that runs the new version against itself on the version before: the same hardware
 * and traffic, so a difference is the version's doing. A device with no version before, or too few
 * requests on either side, is not judged relatively (no evidence either way); the plan's absolute
 * ceilings, when it has them, judge every device past {@code minRequests}.
 */
final class HealthGate {

  private HealthGate() {}

  /** Why the device fails the gates, or empty when it passes or cannot be judged yet. */
  static Optional<String> breach(DeviceProgress device, HealthGates gates) {
    if (gates.providerFallback()) {
      String used =
          firstNonBlank(
              device.reportedProviderUsed(),
              device.now() == null ? null : device.now().providerUsed());
      if (used != null
          && device.expectedProvider() != null
          && !ProviderMismatchService.normalize(used)
              .equals(ProviderMismatchService.normalize(device.expectedProvider()))) {
        return Optional.of(
            "provider-fallback: matched for " + device.expectedProvider() + " but runs on " + used);
      }
    }
    Health now = device.now();
    Health before = device.before();
    if (now != null && now.requests() >= gates.minRequests()) {
      Optional<String> over = ceiling(now, gates);
      if (over.isPresent()) {
        return over;
      }
    }
    if (now == null
        || before == null
        || now.requests() < gates.minRequests()
        || before.requests() < gates.minRequests()) {
      return Optional.empty();
    }
    double errorIncrease = now.errorPercent() - before.errorPercent();
    if (errorIncrease > gates.errorRateTolerance()) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "error-rate-regression: %.1f %% of %d requests failed, %.1f %% before (tolerance %.1f points)",
              now.errorPercent(),
              now.requests(),
              before.errorPercent(),
              gates.errorRateTolerance()));
    }
    if (before.p95Ms() > 0 && now.p95Ms() > before.p95Ms() * (1 + gates.latencyTolerance() / 100)) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "latency-regression: p95 %.2f ms, %.2f ms before (+%.0f %%, tolerance %.0f %%)",
              now.p95Ms(),
              before.p95Ms(),
              100 * (now.p95Ms() / before.p95Ms() - 1),
              gates.latencyTolerance()));
    }
    return Optional.empty();
  }

  /** The absolute ceilings: the same for every device, with or without a version before. */
  private static Optional<String> ceiling(Health now, HealthGates gates) {
    if (gates.maxErrorPercent() != null && now.errorPercent() > gates.maxErrorPercent()) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "error-rate-ceiling: %.1f %% of %d requests failed (at most %.1f %%)",
              now.errorPercent(),
              now.requests(),
              gates.maxErrorPercent()));
    }
    if (gates.maxP95Ms() != null && now.p95Ms() > gates.maxP95Ms()) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "latency-ceiling: p95 %.2f ms over %d requests (at most %.2f ms)",
              now.p95Ms(),
              now.requests(),
              gates.maxP95Ms()));
    }
    return Optional.empty();
  }

  private static String firstNonBlank(String a, String b) {
    if (a != null && !a.isBlank()) {
      return a;
    }
    return b == null || b.isBlank() ? null : b;
  }
}
