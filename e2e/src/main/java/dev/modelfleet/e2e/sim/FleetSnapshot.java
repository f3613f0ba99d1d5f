package dev.modelfleet.e2e.sim;

import java.util.Locale;

/** One moment of the simulated fleet, as the progress line and a test see it. */
public record FleetSnapshot(int requested, long enrolled, long enrollFailed, int connected,
    int active, int failed, long heartbeats, long downloads, long reconnects) {

  /** The progress line; {@code heartbeatsPerSecond} comes from two snapshots a second apart. */
  public String line(long elapsedSeconds, double heartbeatsPerSecond) {
    return String.format(Locale.ROOT,
        "[sim %4ds] enrolled %d/%d (refused %d)  connected %d  active %d  failed %d"
            + "  heartbeats/s %.1f  downloads %d  reconnects %d",
        elapsedSeconds, enrolled, requested, enrollFailed, connected, active, failed,
        heartbeatsPerSecond, downloads, reconnects);
  }
}
