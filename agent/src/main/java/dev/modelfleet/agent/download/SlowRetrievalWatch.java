package dev.modelfleet.agent.download;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Watches one fetch against a {@link ThroughputFloor} from outside the reading thread, because a
 * trickling or stalled source blocks that thread in a read: when a window brings too few bytes, it
 * trips and runs the abort the source registered (gRPC cancels its call; HTTP registers none and
 * stops at its next read), and the downloader abandons the attempt.
 */
final class SlowRetrievalWatch implements AutoCloseable {

  /** One daemon thread for every watch: a check is a few comparisons. */
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "download-rate-watch");
            thread.setDaemon(true);
            return thread;
          });

  private final ThroughputFloor floor;
  private final ThroughputFloor.Meter meter;
  private final ScheduledFuture<?> check;
  private volatile Runnable abort = () -> {};
  private volatile boolean tripped;

  SlowRetrievalWatch(ThroughputFloor floor) {
    this.floor = floor;
    this.meter = floor.meter(System.nanoTime());
    long interval = floor.checkIntervalMillis();
    this.check =
        floor.enabled()
            ? TIMER.scheduleAtFixedRate(this::check, interval, interval, TimeUnit.MILLISECONDS)
            : null;
  }

  void count(long bytes) {
    meter.add(bytes);
  }

  void abortWith(Runnable abort) {
    this.abort = abort;
    if (tripped) {
      abort.run();
    }
  }

  long stallTimeoutMillis() {
    return floor.enabled() ? floor.windowMillis() : Long.MAX_VALUE;
  }

  boolean tripped() {
    return tripped;
  }

  String describe() {
    return "fewer than "
        + floor.minBytesPerSecond()
        + " bytes/s over "
        + floor.windowMillis()
        + " ms";
  }

  private void check() {
    if (!tripped && meter.tooSlow(System.nanoTime())) {
      tripped = true;
      check.cancel(false);
      try {
        abort.run();
      } catch (RuntimeException e) {
        // The reading thread still sees the trip at its next chunk.
      }
    }
  }

  @Override
  public void close() {
    if (check != null) {
      check.cancel(false);
    }
  }
}
