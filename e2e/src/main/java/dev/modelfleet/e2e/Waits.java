package dev.modelfleet.e2e;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls a condition instead of sleeping a fixed time, and says what it waited for. */
public final class Waits {

  private Waits() {}

  public static <T> T until(String what, Duration timeout, Supplier<T> probe) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        T value = probe.get();
        if (value != null && !Boolean.FALSE.equals(value)) {
          return value;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      sleep(Duration.ofMillis(50));
    }
    throw new IllegalStateException(
        "timed out after " + timeout.toSeconds() + " s waiting for " + what, last);
  }

  public static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
