package dev.modelfleet.server.matching;

import dev.modelfleet.protocol.ProtocolRevision;
import dev.modelfleet.server.matching.MatchViews.Candidate;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides which variant of a model version a device runs, and says why. Pure and in-memory:
 * everything it reads is loaded once per version, so deciding for a whole fleet costs microseconds
 * per device.
 *
 * <p>First the hard filters drop what the device cannot run (provider, arch, CPU flags, memory) or
 * what is not accurate enough. The rest is ranked by expected latency: the median p50 its hardware
 * class measured in trials, else the variant's estimated multiply-accumulates divided by the
 * device's benchmark throughput for that provider and precision; a variant with neither ranks last.
 * Near-equal latencies (same 3 significant digits) prefer less memory, then higher precision.
 */
public final class VariantMatcher {

  private static final double GIB = 1024.0 * 1024 * 1024;
  private static final MathContext THREE_DIGITS = new MathContext(3, RoundingMode.HALF_UP);

  private VariantMatcher() {}

  private record Ranked(
      VariantSpec variant, double estimateKey, Double estimatedMs, String source, String reason) {}

  private static final Comparator<Ranked> BEST_FIRST =
      Comparator.<Ranked>comparingInt(r -> r.estimatedMs() == null ? 1 : 0)
          .thenComparingDouble(Ranked::estimateKey)
          .thenComparingLong(r -> r.variant().memoryNeed())
          .thenComparing(
              Comparator.comparingInt((Ranked r) -> r.variant().precisionRank()).reversed())
          .thenComparing(
              r -> r.variant().createdAt(), Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(r -> r.variant().id());

  public static MatchDecision match(
      DeviceProfile device, List<VariantSpec> variants, ClassTrials trials, Double accuracyFloor) {
    List<Candidate> dropped = new ArrayList<>();
    List<Ranked> kept = new ArrayList<>();
    for (VariantSpec variant : variants) {
      String refusal = refusal(device, variant, trials, accuracyFloor);
      if (refusal != null) {
        dropped.add(candidate(variant, false, null, null, "none", refusal));
      } else {
        kept.add(rank(device, variant, trials));
      }
    }
    kept.sort(BEST_FIRST);
    List<Candidate> candidates = new ArrayList<>(variants.size());
    for (int i = 0; i < kept.size(); i++) {
      Ranked r = kept.get(i);
      candidates.add(candidate(r.variant(), true, i + 1, r.estimatedMs(), r.source(), r.reason()));
    }
    candidates.addAll(dropped);
    Candidate chosen = kept.isEmpty() ? null : candidates.get(0);
    return new MatchDecision(
        device.deviceId(),
        device.hardwareClassId(),
        accuracyFloor,
        chosen,
        summary(device, variants, chosen, kept, dropped),
        candidates);
  }

  /** Why the device cannot have this variant, every unmet need joined; null when it can. */
  private static String refusal(
      DeviceProfile device, VariantSpec v, ClassTrials trials, Double accuracyFloor) {
    if (!device.reported()) {
      return "the device has not reported its hardware profile yet";
    }
    StringBuilder why = new StringBuilder();
    if (!device.executionProviders().contains(v.executionProvider())) {
      append(
          why,
          "execution provider "
              + v.executionProvider()
              + " is not among the device's providers "
              + device.executionProviders());
    }
    if (!v.arch().isEmpty() && !v.arch().equals(device.arch())) {
      append(
          why,
          "needs arch "
              + v.arch()
              + ", the device is "
              + (device.arch().isEmpty() ? "of unknown arch" : device.arch()));
    }
    for (String flag : v.requiredCpuFlags()) {
      if (!device.cpuFlags().contains(flag)) {
        append(why, "needs CPU flag " + flag + ", which the device lacks");
      }
    }
    if (v.minMemoryBytes() > 0 && device.memoryBytes() < v.minMemoryBytes()) {
      append(
          why,
          "needs "
              + gib(v.minMemoryBytes())
              + " of memory, the device "
              + (device.memoryBytes() <= 0
                  ? "did not report its memory"
                  : "has " + gib(device.memoryBytes())));
    }
    if (device.diskFreeBytes() > 0
        && v.size() > 0
        && !device.heldArtifacts().contains(v.sha256())
        && device.diskFreeBytes() < v.diskNeed()) {
      append(
          why,
          "does not fit on the device's disk: needs "
              + mib(v.diskNeed())
              + " free (the "
              + mib(v.size())
              + " artifact and as much again to download or rebuild it, beside the version kept"
              + " for rollback), the device has "
              + mib(device.diskFreeBytes())
              + " free");
    }
    if (v.minMemoryBytes() == 0
        && v.size() > 0
        && device.memoryBytes() > 0
        && device.memoryBytes() < v.size()) {
      append(
          why,
          "the "
              + mib(v.size())
              + " model is larger than the device's memory ("
              + gib(device.memoryBytes())
              + ")");
    }
    agentReleaseNeeds(device, v, why);
    if (accuracyFloor != null && v.accuracy() != null && v.accuracy() < accuracyFloor) {
      append(why, "accuracy " + v.accuracy() + " is below the floor " + accuracyFloor);
    }
    ClassTrials.Figure trial = trials.get(device.hardwareClassId(), v.id());
    if (why.isEmpty() && trial != null && trial.onlyFailures()) {
      append(
          why,
          "failed every trial on this hardware class ("
              + trial.failed()
              + "): "
              + trial.lastError());
    }
    return why.isEmpty() ? null : why.toString();
  }

  /**
   * An agent release the device would refuse: one that needs a protocol revision this server does
   * not speak, or a config-version above its configuration's (an agent that does not say has 1).
   */
  private static void agentReleaseNeeds(DeviceProfile device, VariantSpec v, StringBuilder why) {
    if (v.minProtocol() > ProtocolRevision.CURRENT) {
      append(
          why,
          "the agent release needs protocol revision "
              + v.minProtocol()
              + ", this server speaks "
              + ProtocolRevision.CURRENT
              + " (upgrade the server first)");
    }
    int config = Math.max(1, device.agentConfigVersion());
    if (v.minConfigVersion() > config) {
      append(
          why,
          "the agent release needs config-version "
              + v.minConfigVersion()
              + " in agent.properties, the device's is "
              + config
              + " (update its configuration first)");
    }
  }

  private static Ranked rank(DeviceProfile device, VariantSpec v, ClassTrials trials) {
    ClassTrials.Figure trial = trials.get(device.hardwareClassId(), v.id());
    if (trial != null && trial.medianP50Ms() != null) {
      double ms = trial.medianP50Ms();
      return new Ranked(
          v,
          sortKey(ms),
          ms,
          "trial",
          "measured: median p50 "
              + ms(ms)
              + " of "
              + trial.measured()
              + " trial result(s) on hardware class "
              + device.hardwareClassId());
    }
    if (v.matmulMacs() + v.convMacs() == 0) {
      return new Ranked(
          v,
          Double.MAX_VALUE,
          null,
          "none",
          "no cost estimate for the variant (its graph has no weighted MatMul/Gemm/Conv the server"
              + " could count); ranked last");
    }
    Double matmul = device.gmacs(v.executionProvider(), v.precision(), "matmul");
    Double conv = device.gmacs(v.executionProvider(), v.precision(), "conv");
    if (matmul == null && conv == null) {
      return new Ranked(
          v,
          Double.MAX_VALUE,
          null,
          "none",
          "no benchmark figure for "
              + v.executionProvider()
              + "/"
              + v.precision()
              + " on this device; ranked last");
    }
    // each kind of work at the rate its own kernel measured; the other kernel stands in for a
    // missing one
    double matmulRate = matmul != null ? matmul : conv;
    double convRate = conv != null ? conv : matmul;
    double ms = (v.matmulMacs() / matmulRate + v.convMacs() / convRate) / 1e6;
    return new Ranked(
        v,
        sortKey(ms),
        ms,
        "benchmark",
        "estimated: "
            + macs(v.matmulMacs() + v.convMacs())
            + " at the device's "
            + v.executionProvider()
            + "/"
            + v.precision()
            + " benchmark ("
            + rates(v, matmul, conv)
            + ")");
  }

  private static String summary(
      DeviceProfile device,
      List<VariantSpec> variants,
      Candidate chosen,
      List<Ranked> kept,
      List<Candidate> dropped) {
    if (variants.isEmpty()) {
      return "the version has no variants";
    }
    if (chosen == null) {
      StringBuilder why = new StringBuilder("no variant fits this device: ");
      for (int i = 0; i < dropped.size(); i++) {
        Candidate c = dropped.get(i);
        why.append(i == 0 ? "" : "; ")
            .append(c.precision())
            .append('/')
            .append(c.executionProvider())
            .append(": ")
            .append(c.reason());
      }
      return why.toString();
    }
    String label = kept.get(0).variant().label();
    if (kept.size() == 1) {
      return "chose " + label + ": the only variant this device can run";
    }
    return chosen.estimatedMs() == null
        ? "chose "
            + label
            + ": no latency figure for any fitting variant, so the least memory and highest precision"
        : "chose "
            + label
            + ": lowest expected latency, "
            + ms(chosen.estimatedMs())
            + " ("
            + chosen.source()
            + ")";
  }

  private static Candidate candidate(
      VariantSpec v, boolean kept, Integer rank, Double estimatedMs, String source, String reason) {
    return new Candidate(
        v.id(),
        v.precision(),
        v.executionProvider(),
        v.arch(),
        v.requiredCpuFlags(),
        kept,
        rank,
        estimatedMs,
        source,
        reason);
  }

  /** Latencies equal to 3 significant digits are a tie: measurement noise is larger than that. */
  private static double sortKey(double ms) {
    if (ms <= 0 || !Double.isFinite(ms)) {
      return ms;
    }
    double scale = Math.pow(10, 2 - Math.floor(Math.log10(ms)));
    return Math.round(ms * scale) / scale;
  }

  private static String rates(VariantSpec v, Double matmul, Double conv) {
    List<String> parts = new ArrayList<>(2);
    if (v.matmulMacs() > 0) {
      parts.add(
          "matmul " + gmacs(matmul != null ? matmul : conv) + (matmul == null ? " from conv" : ""));
    }
    if (v.convMacs() > 0) {
      parts.add(
          "conv " + gmacs(conv != null ? conv : matmul) + (conv == null ? " from matmul" : ""));
    }
    return String.join(", ", parts);
  }

  private static void append(StringBuilder why, String reason) {
    why.append(why.isEmpty() ? "" : "; ").append(reason);
  }

  // reasons are built for every device of a fleet: BigDecimal rounding halves the matching cost
  // that String.format had (MatchingBenchmark)

  private static String ms(double ms) {
    return threeDigits(ms) + " ms";
  }

  private static String gmacs(double g) {
    return threeDigits(g) + " GMAC/s";
  }

  private static String macs(long macs) {
    return macs >= 1_000_000 ? threeDigits(macs / 1e6) + " MMAC" : macs + " MAC";
  }

  private static String mib(long bytes) {
    return threeDigits(bytes / (1024.0 * 1024)) + " MiB";
  }

  private static String gib(long bytes) {
    return new BigDecimal(bytes / GIB).setScale(2, RoundingMode.HALF_UP).toPlainString() + " GiB";
  }

  private static String threeDigits(double value) {
    if (!Double.isFinite(value)) {
      return String.valueOf(value);
    }
    return new BigDecimal(value).round(THREE_DIGITS).stripTrailingZeros().toPlainString();
  }
}
