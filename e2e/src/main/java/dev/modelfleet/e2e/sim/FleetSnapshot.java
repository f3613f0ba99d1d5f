package dev.modelfleet.e2e.sim;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One moment of the simulated fleet, as the progress line and a test see it.
 *
 * @param active devices whose every desired model is active
 * @param failed devices with a failed deployment or a refused document, or given up by the server
 *     (decommissioned)
 * @param silent devices keeping quiet because of a behaviour's silent-share
 * @param activeVersions devices serving each {@code model@version}
 * @param downloads downloads started; {@code httpDownloads} and {@code grpcDownloads} count the
 *     transfers that completed over each path (verified or not)
 */
public record FleetSnapshot(
    int requested,
    long enrolled,
    long enrollFailed,
    int connected,
    int active,
    int failed,
    int silent,
    long heartbeats,
    long downloads,
    long httpDownloads,
    long grpcDownloads,
    long httpFallbacks,
    long bytesDownloaded,
    long reconnects,
    long failovers,
    Map<String, Integer> activeVersions,
    Map<String, Long> enrollAttemptsFailed,
    Map<String, Long> enrollRefusedBy) {

  public FleetSnapshot {
    activeVersions = Map.copyOf(activeVersions);
    enrollAttemptsFailed = Map.copyOf(enrollAttemptsFailed);
    enrollRefusedBy = Map.copyOf(enrollRefusedBy);
  }

  /**
   * Failed Enroll attempts and devices given up on, by reason: {@code "enroll attempts failed
   * RESOURCE_EXHAUSTED 12 (devices refused: none)"}; empty when none failed.
   */
  public String enrollFailures() {
    if (enrollAttemptsFailed.isEmpty()) {
      return "";
    }
    return "enroll attempts failed "
        + reasons(enrollAttemptsFailed)
        + " (devices refused: "
        + (enrollRefusedBy.isEmpty() ? "none" : reasons(enrollRefusedBy))
        + ")";
  }

  private static String reasons(Map<String, Long> byReason) {
    return byReason.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", "));
  }

  /** Devices serving {@code version} of {@code model}. */
  public int serving(String model, String version) {
    return activeVersions.getOrDefault(model + "@" + version, 0);
  }

  /** The progress line; the rates come from two snapshots a second apart. */
  public String line(long elapsedSeconds, double heartbeatsPerSecond, double megabytesPerSecond) {
    return String.format(
        Locale.ROOT,
        "[sim %4ds] enrolled %d/%d (refused %d)  connected %d  active %d  failed %d  silent %d"
            + "  heartbeats/s %.1f  downloads %d (http %d, grpc %d)  %.1f MB at %.1f MB/s"
            + "  reconnects %d (failovers %d)%s%s",
        elapsedSeconds,
        enrolled,
        requested,
        enrollFailed,
        connected,
        active,
        failed,
        silent,
        heartbeatsPerSecond,
        downloads,
        httpDownloads,
        grpcDownloads,
        megabytes(bytesDownloaded),
        megabytesPerSecond,
        reconnects,
        failovers,
        versions("  |"),
        enrollFailures().isEmpty() ? "" : "  | " + enrollFailures());
  }

  /** The closing lines: totals and averages over the whole run. */
  public String summary(double elapsedSeconds) {
    double seconds = Math.max(elapsedSeconds, 1e-3);
    return String.format(
        Locale.ROOT,
        "[sim] summary after %.1f s: enrolled %d of %d (refused %d), connected %d, active %d,"
            + " failed %d, silent %d%n"
            + "[sim]   heartbeats %d (%.1f/s), downloads %d (http %d, grpc %d, http fell back"
            + " %d), %.1f MB (%.1f MB/s), reconnects %d (failovers %d)%s%s",
        elapsedSeconds,
        enrolled,
        requested,
        enrollFailed,
        connected,
        active,
        failed,
        silent,
        heartbeats,
        heartbeats / seconds,
        downloads,
        httpDownloads,
        grpcDownloads,
        httpFallbacks,
        megabytes(bytesDownloaded),
        megabytes(bytesDownloaded) / seconds,
        reconnects,
        failovers,
        versions("\n[sim]   serving"),
        enrollFailures().isEmpty() ? "" : "\n[sim]   " + enrollFailures());
  }

  static double megabytes(long bytes) {
    return bytes / 1048576.0;
  }

  /** Devices per version served, after {@code prefix}; nothing while none serves anything. */
  private String versions(String prefix) {
    return activeVersions.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> " " + e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(",", activeVersions.isEmpty() ? "" : prefix, ""));
  }
}
