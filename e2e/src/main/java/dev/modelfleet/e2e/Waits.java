package dev.modelfleet.e2e;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The one way the e2e harness, its tests, the demo and the benchmarks wait: poll a condition
 * instead of sleeping a fixed time, and say what was waited for.
 */
public final class Waits {

  private static final Duration POLL = Duration.ofMillis(50);

  private Waits() {}

  /**
   * Thrown by a probe to stop waiting at once, because what it saw will not change by waiting (a
   * process exited, a deployment failed); any other exception is taken as "not yet" and kept as the
   * cause of the timeout.
   */
  public static final class GaveUp extends IllegalStateException {
    public GaveUp(String why) {
      super(why);
    }
  }

  /**
   * Polls {@code probe} until it returns something other than null or false, and returns that; a
   * probe that throws is asked again, unless it throws {@link GaveUp}.
   */
  public static <T> T until(String what, Duration timeout, Supplier<T> probe) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        T value = probe.get();
        if (value != null && !Boolean.FALSE.equals(value)) {
          return value;
        }
      } catch (GaveUp e) {
        throw e;
      } catch (RuntimeException e) {
        last = e;
      }
      sleep(POLL);
    }
    throw new IllegalStateException(
        "timed out after " + timeout.toSeconds() + " s waiting for " + what, last);
  }

  /** A fixed pause, for what has no condition to poll (a benchmark's settling time). */
  public static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
