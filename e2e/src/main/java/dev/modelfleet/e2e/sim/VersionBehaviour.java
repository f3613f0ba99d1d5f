package dev.modelfleet.e2e.sim;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;

/**
 * How simulated devices fare with one model version, so that a test can make a version bad: the
 * traffic figures their heartbeats report for it, and whether installing it fails or leaves the
 * device silent. Written on the command line as {@code
 * [model@]version:error-rate=0.2,p95-ms=40,provider=cpu,fail-share=0.1,silent-share=0}.
 *
 * <p>Which devices fail or fall silent is decided by a hash of the device id alone, so a test can
 * tell in advance ({@link #failsOn}, {@link #silentOn}), a rerun picks the same devices, and a bad
 * hardware subset looks the same to every version that uses the same share. The two shares take
 * disjoint slices of the hash range, so no device is counted in both.
 *
 * @param model the model it applies to; null: any model
 * @param version the version it applies to; {@code "*"}: any version
 * @param errorRate the share of reported requests that failed, 0 to 1
 * @param p50Ms the median latency reported
 * @param p95Ms the 95th percentile latency reported
 * @param provider the execution provider reported as used; null: the variant's own (anything else,
 *     e.g. "cpu" for a cuda variant, is a silent fallback)
 * @param failShare the share of devices whose install fails after download and verification
 * @param failCode the reason code those devices report
 * @param silentShare the share of devices that send nothing more once they received a desired state
 *     naming this version (a hung agent: the stream stays open)
 */
public record VersionBehaviour(
    String model,
    String version,
    double errorRate,
    double p50Ms,
    double p95Ms,
    String provider,
    double failShare,
    String failCode,
    double silentShare) {

  public static final String ANY_VERSION = "*";

  /** What a healthy version does when no behaviour names it. */
  public static final VersionBehaviour HEALTHY =
      new VersionBehaviour(null, ANY_VERSION, 0, 1, 2, null, 0, "load-failed", 0);

  static final List<String> SETTINGS =
      List.of(
          "error-rate", "p50-ms", "p95-ms", "provider", "fail-share", "fail-code", "silent-share");

  public VersionBehaviour {
    String name = (model == null ? "" : model + "@") + version;
    if (version == null || version.isBlank()) {
      throw new IllegalArgumentException("a behaviour needs a version (or * for any)");
    }
    share(name, "error-rate", errorRate);
    share(name, "fail-share", failShare);
    share(name, "silent-share", silentShare);
    if (failShare + silentShare > 1) {
      throw new IllegalArgumentException(
          "--behaviour " + name + ": fail-share and silent-share together cannot exceed 1");
    }
    if (!(p50Ms >= 0) || !(p95Ms >= 0) || Double.isInfinite(p95Ms)) {
      throw new IllegalArgumentException(
          "--behaviour " + name + ": latencies must be finite and not negative");
    }
    if (p50Ms > p95Ms) {
      throw new IllegalArgumentException(
          "--behaviour "
              + name
              + ": p50-ms ("
              + p50Ms
              + ") cannot exceed p95-ms ("
              + p95Ms
              + "); set both");
    }
    if (failCode == null || failCode.isBlank()) {
      throw new IllegalArgumentException("--behaviour " + name + ": fail-code cannot be empty");
    }
    if (provider != null && provider.isBlank()) {
      provider = null;
    }
  }

  /** A healthy behaviour for {@code version} of any model, to adjust with the withers. */
  public static VersionBehaviour forVersion(String version) {
    return HEALTHY.forModelVersion(null, version);
  }

  public VersionBehaviour forModelVersion(String model, String version) {
    return new VersionBehaviour(
        model, version, errorRate, p50Ms, p95Ms, provider, failShare, failCode, silentShare);
  }

  public VersionBehaviour withErrorRate(double rate) {
    return new VersionBehaviour(
        model, version, rate, p50Ms, p95Ms, provider, failShare, failCode, silentShare);
  }

  public VersionBehaviour withLatency(double p50, double p95) {
    return new VersionBehaviour(
        model, version, errorRate, p50, p95, provider, failShare, failCode, silentShare);
  }

  public VersionBehaviour withProvider(String used) {
    return new VersionBehaviour(
        model, version, errorRate, p50Ms, p95Ms, used, failShare, failCode, silentShare);
  }

  public VersionBehaviour withFailShare(double share, String code) {
    return new VersionBehaviour(
        model, version, errorRate, p50Ms, p95Ms, provider, share, code, silentShare);
  }

  public VersionBehaviour withSilentShare(double share) {
    return new VersionBehaviour(
        model, version, errorRate, p50Ms, p95Ms, provider, failShare, failCode, share);
  }

  /** Whether this behaviour is written for {@code model} at {@code version}. */
  boolean appliesTo(String model, String version) {
    return (this.model == null || this.model.equals(model))
        && (ANY_VERSION.equals(this.version) || this.version.equals(version));
  }

  /** Higher is more specific: a model and version beat a version alone, which beats a model. */
  int specificity() {
    return (model == null ? 0 : 1) + (ANY_VERSION.equals(version) ? 0 : 2);
  }

  /** Whether installing this version fails on that device. */
  public boolean failsOn(String deviceId) {
    return hashShare(deviceId) < failShare;
  }

  /** Whether that device goes silent once told to run this version. */
  public boolean silentOn(String deviceId) {
    double share = hashShare(deviceId);
    return share >= failShare && share < failShare + silentShare;
  }

  /** A device id's place in [0, 1): uniform over random ids, and the same in every run. */
  static double hashShare(String deviceId) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(deviceId.getBytes(StandardCharsets.UTF_8));
      long top = 0;
      for (int i = 0; i < 7; i++) {
        top = (top << 8) | (digest[i] & 0xff);
      }
      return top / (double) (1L << 56);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Parses {@code [model@]version:key=value,...} as typed after {@code --behaviour}. */
  public static VersionBehaviour parse(String spec) {
    int colon = spec.indexOf(':');
    if (colon <= 0 || colon == spec.length() - 1) {
      throw new IllegalArgumentException(
          "--behaviour takes [model@]version:key=value,... (e.g."
              + " 2.0:error-rate=0.2,p95-ms=40), not '"
              + spec
              + "'");
    }
    String target = spec.substring(0, colon).trim();
    int at = target.indexOf('@');
    VersionBehaviour behaviour =
        at < 0
            ? forVersion(target)
            : HEALTHY.forModelVersion(target.substring(0, at), target.substring(at + 1));
    Double p50 = null;
    Double p95 = null;
    for (String setting : spec.substring(colon + 1).split(",")) {
      int equals = setting.indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException(
            "--behaviour " + target + ": '" + setting + "' is not key=value");
      }
      String key = setting.substring(0, equals).trim().toLowerCase(Locale.ROOT);
      String value = setting.substring(equals + 1).trim();
      switch (key) {
        case "error-rate" -> behaviour = behaviour.withErrorRate(number(target, key, value));
        case "p50-ms" -> p50 = number(target, key, value);
        case "p95-ms" -> p95 = number(target, key, value);
        case "provider" -> behaviour = behaviour.withProvider(value);
        case "fail-share" ->
            behaviour = behaviour.withFailShare(number(target, key, value), behaviour.failCode());
        case "fail-code" -> behaviour = behaviour.withFailShare(behaviour.failShare(), value);
        case "silent-share" -> behaviour = behaviour.withSilentShare(number(target, key, value));
        default ->
            throw new IllegalArgumentException(
                "--behaviour "
                    + target
                    + ": unknown setting '"
                    + key
                    + "' (known: "
                    + String.join(", ", SETTINGS)
                    + ")");
      }
    }
    // Latencies last and together: p95 alone may fall below the default p50, and that must
    // only be an error when the user set both that way.
    double p95Ms = p95 != null ? p95 : Math.max(behaviour.p95Ms(), p50 == null ? 0 : p50);
    double p50Ms = p50 != null ? p50 : Math.min(behaviour.p50Ms(), p95Ms);
    return behaviour.withLatency(p50Ms, p95Ms);
  }

  private static double number(String target, String key, String value) {
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--behaviour " + target + ": " + key + " takes a number, not '" + value + "'");
    }
  }

  private static void share(String name, String key, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(
          "--behaviour " + name + ": " + key + " must be between 0 and 1, not " + value);
    }
  }

  @Override
  public String toString() {
    return (model == null ? "" : model + "@")
        + version
        + ":error-rate="
        + errorRate
        + ",p50-ms="
        + p50Ms
        + ",p95-ms="
        + p95Ms
        + ",provider="
        + (provider == null ? "(variant's)" : provider)
        + ",fail-share="
        + failShare
        + ",fail-code="
        + failCode
        + ",silent-share="
        + silentShare;
  }
}
