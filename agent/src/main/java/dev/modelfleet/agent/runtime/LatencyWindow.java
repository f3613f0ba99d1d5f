package dev.modelfleet.agent.runtime;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The durations of the most recent model runs in a fixed ring: percentiles then describe how a
 * version runs now rather than since the agent started, at a fixed 8 KiB per version.
 *
 * <p>Recording is on the inference path, so it takes no lock and allocates nothing: a run claims a
 * slot with one atomic increment and stores its duration there. A heartbeat copies the ring while
 * runs may be storing, so a slot already claimed but not yet written still holds the sample it
 * replaces (or nothing on the first lap, which is skipped), and a sample may land just after the
 * copy. Each such race shifts a percentile by one sample out of up to 1,024, which figures sent
 * every few seconds can afford; a lock on every inference could not. The slots are an
 * AtomicLongArray only so that a 32-bit JVM cannot tear a long; on 64-bit JVMs its opaque accesses
 * are plain loads and stores.
 */
final class LatencyWindow {

  static final int CAPACITY = 1024;

  private final AtomicLongArray slots;
  private final AtomicLong recorded = new AtomicLong();

  LatencyWindow() {
    this(CAPACITY);
  }

  LatencyWindow(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.slots = new AtomicLongArray(capacity);
  }

  void record(long nanos) {
    int slot = (int) (recorded.getAndIncrement() % slots.length());
    // 0 marks a slot not written yet; a run measured as 0 ns (coarse clock) counts as 1 ns.
    slots.setOpaque(slot, Math.max(1, nanos));
  }

  /** p50 and p95 of the runs now in the window; both 0 when there were none. */
  Percentiles percentiles() {
    long[] sorted = samples();
    Arrays.sort(sorted);
    return new Percentiles(millis(nearestRank(sorted, 50)), millis(nearestRank(sorted, 95)));
  }

  /** A copy of the samples in the window, in no particular order. */
  long[] samples() {
    int filled = (int) Math.min(recorded.get(), slots.length());
    long[] copy = new long[filled];
    int count = 0;
    for (int i = 0; i < filled; i++) {
      long nanos = slots.getOpaque(i);
      if (nanos > 0) {
        copy[count++] = nanos;
      }
    }
    return count == filled ? copy : Arrays.copyOf(copy, count);
  }

  /**
   * Nearest rank, as the micro-benchmark and trials report: the smallest value with at least p % of
   * the values at or below it.
   */
  private static long nearestRank(long[] sorted, int percent) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static double millis(long nanos) {
    return nanos / 1_000_000.0;
  }

  record Percentiles(double p50Ms, double p95Ms) {}
}
