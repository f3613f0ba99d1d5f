package dev.modelfleet.server.device.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ingest latency histogram: its percentiles are upper bounds within an eighth. */
class LatencyHistogramTest {

  @Test
  void percentilesAreTightUpperBounds() {
    LatencyHistogram histogram = new LatencyHistogram();
    for (long micros = 1; micros <= 100_000; micros++) {
      histogram.record(micros);
    }
    long p50 = histogram.quantileMicros(0.50);
    long p99 = histogram.quantileMicros(0.99);
    assertTrue(p50 >= 50_000 && p50 <= 50_000 * 9 / 8, "p50 " + p50);
    assertTrue(p99 >= 99_000 && p99 <= 100_000, "p99 " + p99);
    assertEquals(100_000, histogram.maxMicros());
    assertEquals(100_000, histogram.quantileMicros(1.0));
  }

  @Test
  void everyValueFallsInABucketWhoseUpperEdgeIsWithinAnEighthAboveIt() {
    Random random = new Random(7);
    for (int i = 0; i < 100_000; i++) {
      long value = (random.nextLong() >>> 2) >>> random.nextInt(62);
      LatencyHistogram histogram = new LatencyHistogram();
      histogram.record(value);
      histogram.record(Long.MAX_VALUE); // so the median is the bucket's edge, not the max seen
      long bound = histogram.quantileMicros(0.5);
      assertTrue(bound >= value && bound <= value + value / 8, value + " reported as " + bound);
    }
    LatencyHistogram extremes = new LatencyHistogram();
    extremes.record(Long.MAX_VALUE);
    extremes.record(0);
    assertEquals(0, extremes.quantileMicros(0.5));
    assertEquals(Long.MAX_VALUE, extremes.quantileMicros(1.0));
  }

  @Test
  void negativeCountsAsZeroAndResetForgets() {
    LatencyHistogram histogram = new LatencyHistogram();
    histogram.record(-5);
    assertEquals(0, histogram.quantileMicros(0.5));
    histogram.record(1_000);
    histogram.reset();
    assertEquals(0, histogram.count());
    assertEquals(0, histogram.quantileMicros(0.99));
  }
}
