package dev.modelfleet.server.device.heartbeat;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds, in buckets that grow by powers of two with eight steps each, so a
 * percentile is off by at most an eighth of its value. Recording is two atomic adds and costs the
 * same at 10 or 100,000 heartbeats a second; the memory is fixed (about 4 KB).
 */
public final class LatencyHistogram {

  private static final int SUB_BITS = 3;
  private static final int SUB_COUNT = 1 << SUB_BITS;
  private static final int BUCKETS = SUB_COUNT + (63 - SUB_BITS) * SUB_COUNT;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong max = new AtomicLong();

  /** Negative values (a device clock ahead of ours) count as zero. */
  public void record(long micros) {
    long value = Math.max(0, micros);
    counts.incrementAndGet(bucketOf(value));
    total.incrementAndGet();
    max.accumulateAndGet(value, Math::max);
  }

  public long count() {
    return total.get();
  }

  public long maxMicros() {
    return max.get();
  }

  /**
   * The upper edge of the bucket holding the given quantile (0 to 1), never above the largest value
   * seen: a bound, not an estimate that may flatter. 0 when nothing was recorded.
   */
  public long quantileMicros(double quantile) {
    long n = total.get();
    if (n == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(quantile * n));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return Math.min(upperEdge(i), max.get());
      }
    }
    return max.get(); // a record() between reading the total and the buckets
  }

  /** Not atomic with concurrent record() calls; a reset is an operator's rough mark in time. */
  public void reset() {
    for (int i = 0; i < BUCKETS; i++) {
      counts.set(i, 0);
    }
    total.set(0);
    max.set(0);
  }

  static int bucketOf(long value) {
    if (value < SUB_COUNT) {
      return (int) value;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(value);
    int sub = (int) (value >>> (exponent - SUB_BITS)) & (SUB_COUNT - 1);
    return SUB_COUNT + (exponent - SUB_BITS) * SUB_COUNT + sub;
  }

  static long upperEdge(int bucket) {
    if (bucket < SUB_COUNT) {
      return bucket;
    }
    int exponent = (bucket - SUB_COUNT) / SUB_COUNT + SUB_BITS;
    int sub = (bucket - SUB_COUNT) % SUB_COUNT;
    long lower = (long) (SUB_COUNT + sub) << (exponent - SUB_BITS);
    return lower + (1L << (exponent - SUB_BITS)) - 1;
  }
}
