package dev.modelfleet.agent.benchmark;

import java.util.Arrays;

/**
 * Times a call after warm-up, for at most a number of runs and a time budget, and summarizes the
 * latencies. Shared by the micro-benchmark and the variant trials so both report the same figures
 * the same way.
 */
public record Latencies(int runs, double p50Ms, double p95Ms, double minMs, double maxMs) {

  /** One timed call. */
  @FunctionalInterface
  public interface Call {
    void run() throws Exception;
  }

  /**
   * Runs {@code warmUp} untimed calls, then timed ones until {@code maxRuns} or until {@code
   * budgetNanos} has passed (but at least {@code minRuns}, so that a slow call still gets a median
   * of several).
   */
  public static Latencies measure(Call call, int warmUp, int minRuns, int maxRuns, long budgetNanos)
      throws Exception {
    for (int i = 0; i < warmUp; i++) {
      call.run();
    }
    long[] nanos = new long[maxRuns];
    int runs = 0;
    long start = System.nanoTime();
    while (runs < maxRuns && (runs < minRuns || System.nanoTime() - start < budgetNanos)) {
      long before = System.nanoTime();
      call.run();
      nanos[runs++] = System.nanoTime() - before;
    }
    return of(Arrays.copyOf(nanos, runs));
  }

  static Latencies of(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return new Latencies(
        sorted.length,
        ms(percentile(sorted, 50)),
        ms(percentile(sorted, 95)),
        ms(sorted[0]),
        ms(sorted[sorted.length - 1]));
  }

  /** Nearest rank: the smallest value with at least p % of the values at or below it. */
  private static long percentile(long[] sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static double ms(long nanos) {
    return nanos / 1_000_000.0;
  }
}
