package dev.modelfleet.server.delta;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one background thread a maker of derived artifacts (deltas, compressed copies) works on,
 * counting the work it still has: whoever must see the store settled (a shutdown, a test comparing
 * what is stored before and after a request) can ask whether it is idle.
 */
final class MakerThread {

  private final ExecutorService executor;
  private final AtomicInteger pending = new AtomicInteger();

  MakerThread(String name, int priority) {
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread thread = new Thread(r, name);
              thread.setDaemon(true);
              thread.setPriority(priority);
              return thread;
            });
  }

  void submit(Runnable work) {
    pending.incrementAndGet();
    try {
      executor.execute(
          () -> {
            try {
              work.run();
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
