package dev.modelfleet.agent.download;

/**
 * The slowest a download may be: fewer than {@code minBytesPerSecond} over a whole window means a
 * server (or an attacker in the path) trickling bytes to hold the device on an old model for ever
 * (TUF's slow retrieval attack). A window rather than an instant rate, so that a short stall on a
 * healthy link is forgiven.
 */
public record ThroughputFloor(long minBytesPerSecond, long windowMillis) {

  /** 16 KiB/s over 30 s: a fraction of any link a model is worth shipping over. */
  public static final ThroughputFloor DEFAULT = new ThroughputFloor(16_384, 30_000);

  public static final ThroughputFloor NONE = new ThroughputFloor(0, 30_000);

  public ThroughputFloor {
    if (minBytesPerSecond < 0 || windowMillis <= 0) {
      throw new IllegalArgumentException("minimum rate >= 0 and window > 0 required");
    }
  }

  public boolean enabled() {
    return minBytesPerSecond > 0;
  }

  /** The bytes a window must bring at least. */
  long bytesPerWindow() {
    return Math.max(1, minBytesPerSecond * windowMillis / 1000);
  }

  /** How often the watch looks: often enough to react within a quarter window. */
  long checkIntervalMillis() {
    return Math.max(10, Math.min(1_000, windowMillis / 4));
  }

  public Meter meter(long nowNanos) {
    return new Meter(nowNanos);
  }

  /** Counts one download's bytes in consecutive windows; thread-safe. */
  public final class Meter {
    private long bytes;
    private long windowStartNanos;
    private long windowStartBytes;

    private Meter(long nowNanos) {
      this.windowStartNanos = nowNanos;
    }

    public synchronized void add(long count) {
      bytes += count;
    }

    /** Whether a complete window ended with too few bytes; starts the next window if not. */
    public synchronized boolean tooSlow(long nowNanos) {
      if (!enabled() || nowNanos - windowStartNanos < windowMillis * 1_000_000L) {
        return false;
      }
      if (bytes - windowStartBytes < bytesPerWindow()) {
        return true;
      }
      windowStartNanos = nowNanos;
      windowStartBytes = bytes;
      return false;
    }
  }
}
