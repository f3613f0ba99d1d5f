package dev.modelfleet.server.delta;

import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The one background thread a maker of derived artifacts (deltas, compressed copies) works on,
 * counting the work it still has: whoever must see the store settled (a shutdown, a test comparing
 * what is stored before and after a request) can ask whether it is idle. A failure to make one is
 * counted and logged, never thrown: the variant is then served whole, which is always correct.
 */
final class MakerThread {

  private static final Logger LOG = Logger.getLogger(MakerThread.class);

  /** Makes (or weighs) what one published variant is owed. */
  @FunctionalInterface
  interface Making {
    void makeFor(UUID variantId) throws IOException;
  }

  private final ExecutorService executor;
  private final AtomicInteger pending = new AtomicInteger();
  private final String what;
  private final MadeCounters counters;

  /** {@code what}: the work in a log line ("make deltas", "compress"). */
  MakerThread(String name, int priority, String what, MadeCounters counters) {
    this.what = what;
    this.counters = counters;
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread thread = new Thread(r, name);
              thread.setDaemon(true);
              thread.setPriority(priority);
              return thread;
            });
  }

  void submit(UUID variantId, Making making) {
    pending.incrementAndGet();
    try {
      executor.execute(
          () -> {
            try {
              making.makeFor(variantId);
            } catch (IOException | RuntimeException e) {
              counters.failures().increment();
              LOG.warnf("could not %s variant %s (%s); it is served whole", what, variantId, e);
            } finally {
              pending.decrementAndGet();
            }
          });
    } catch (RejectedExecutionException e) {
      pending.decrementAndGet(); // shutting down: the variant is served whole
    }
  }

  boolean idle() {
    return pending.get() == 0;
  }

  void stop() {
    executor.shutdownNow();
  }
}
