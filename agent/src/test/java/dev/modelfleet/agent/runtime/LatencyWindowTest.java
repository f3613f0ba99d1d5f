package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LatencyWindowTest {

  static final long MS = 1_000_000;

  @Test
  void anEmptyWindowReportsZero() {
    LatencyWindow window = new LatencyWindow();
    assertEquals(new LatencyWindow.Percentiles(0, 0), window.percentiles());
    assertEquals(0, window.samples().length);
  }

  @Test
  void nearestRankPercentilesOfKnownSamplesInAnyOrder() {
    List<Long> samples = new ArrayList<>();
    for (long ms = 1; ms <= 100; ms++) {
      samples.add(ms * MS);
    }
    Collections.shuffle(samples, new Random(7));
    LatencyWindow window = new LatencyWindow();
    samples.forEach(window::record);

    assertEquals(new LatencyWindow.Percentiles(50.0, 95.0), window.percentiles());
  }

  @Test
  void oneSampleIsEveryPercentile() {
    LatencyWindow window = new LatencyWindow();
    window.record(1_500_000);
    assertEquals(new LatencyWindow.Percentiles(1.5, 1.5), window.percentiles());
  }

  @Test
  void wrapsAroundKeepingOnlyTheMostRecentSamples() {
    LatencyWindow window = new LatencyWindow(4);
    for (long ms : new long[] {100, 200, 300, 400, 1, 2}) {
      window.record(ms * MS);
    }
    // The window now holds 300, 400, 1, 2: the two oldest were overwritten.
    assertEquals(4, window.samples().length);
    assertEquals(new LatencyWindow.Percentiles(2.0, 400.0), window.percentiles());
  }

  @Test
  void theRealWindowForgetsAllButTheLast1024Runs() {
    LatencyWindow window = new LatencyWindow();
    for (int i = 0; i < LatencyWindow.CAPACITY; i++) {
      window.record(10 * MS);
    }
    for (int i = 0; i < LatencyWindow.CAPACITY; i++) {
      window.record(MS);
    }
    assertEquals(new LatencyWindow.Percentiles(1.0, 1.0), window.percentiles());

    // p95 of 1,024 samples is the 973rd smallest: 52 slow runs reach it, 51 do not.
    for (int i = 0; i < 51; i++) {
      window.record(50 * MS);
    }
    assertEquals(new LatencyWindow.Percentiles(1.0, 1.0), window.percentiles());
    window.record(50 * MS);
    assertEquals(new LatencyWindow.Percentiles(1.0, 50.0), window.percentiles());
  }

  @Test
  void aRunMeasuredAsZeroStillCounts() {
    LatencyWindow window = new LatencyWindow();
    window.record(0);
    assertEquals(1, window.samples().length);
  }

  @Test
  void concurrentRecordingFillsEverySlotWithARecordedValue() throws Exception {
    LatencyWindow window = new LatencyWindow();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 1; t <= 4; t++) {
        long nanos = t * MS;
        writers.add(
            threads.submit(
                () -> {
                  for (int i = 0; i < 10_000; i++) {
                    window.record(nanos);
                  }
                }));
      }
      for (Future<?> writer : writers) {
        writer.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    long[] samples = window.samples();
    assertEquals(LatencyWindow.CAPACITY, samples.length);
    for (long sample : samples) {
      assertTrue(
          sample == MS || sample == 2 * MS || sample == 3 * MS || sample == 4 * MS,
          "sample " + sample);
    }
  }
}
