package dev.modelfleet.e2e.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds, summarised the way docs/benchmarks.md reports them. */
final class Samples {

  private final long[] values;
  private int count;

  Samples(int capacity) {
    values = new long[capacity];
  }

  void add(long nanos) {
    values[count++] = nanos;
  }

  double percentileMillis(double p) {
    long[] sorted = Arrays.copyOf(values, count);
    Arrays.sort(sorted);
    int index = (int) Math.min(count - 1, Math.max(0, Math.ceil(p / 100.0 * count) - 1));
    return sorted[index] / 1e6;
  }

  double medianMillis() {
    return percentileMillis(50);
  }

  int count() {
    return count;
  }
}
