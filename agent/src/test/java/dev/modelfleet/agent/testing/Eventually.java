package dev.modelfleet.agent.testing;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The agent tests' one way to wait: for an assertion to hold, or for a message to arrive. */
public final class Eventually {

  private Eventually() {}

  /** Polls an assertion until it holds or the time is up (then the last failure is thrown). */
  public static void within(Duration limit, Runnable assertion) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      try {
        assertion.run();
        return;
      } catch (AssertionError | NullPointerException e) {
        // a NullPointerException is a value not there yet, the same "not yet" as a failed assertion
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting", e);
      }
    }
  }

  /**
   * Takes messages off {@code queue} (what a fake server received) until one is {@code wanted};
   * fails when none came within {@code limit}, saying what it waited for and what came last.
   */
  public static <T> T next(BlockingQueue<T> queue, Duration limit, String what, Predicate<T> wanted)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      T message = queue.poll(50, TimeUnit.MILLISECONDS);
      if (message != null) {
        if (wanted.test(message)) {
          return message;
        }
        last = message;
      }
    }
    throw new AssertionError(
        "no "
            + what
            + " within "
            + limit.toSeconds()
            + " s"
            + (last == null ? "" : "; last: " + last));
  }
}
