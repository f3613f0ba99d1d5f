package dev.modelfleet.server.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The one way server tests wait for what happens in the background: poll until an assertion holds,
 * a condition is true or a value is ready, or the time is up (then the last failure is thrown).
 */
public final class Eventually {

  /** How long a test waits unless it says otherwise: far above any healthy run, on a busy CI. */
  public static final Duration LIMIT = Duration.ofSeconds(10);

  private static final Duration POLL = Duration.ofMillis(50);

  private Eventually() {}

  /** Runs {@code assertion} until it passes; after {@code limit}, its last failure is thrown. */
  public static void within(Duration limit, Runnable assertion) {
    get(
        limit,
        () -> {
          assertion.run();
          return null;
        });
  }

  /** Waits up to {@link #LIMIT} until {@code condition} holds; fails naming {@code what}. */
  public static void until(String what, BooleanSupplier condition) {
    until(what, LIMIT, condition);
  }

  /** Waits up to {@code limit} until {@code condition} holds; fails naming {@code what}. */
  public static void until(String what, Duration limit, BooleanSupplier condition) {
    within(
        limit,
        () -> {
          if (!condition.getAsBoolean()) {
            throw new AssertionError(what + ": not within " + limit.toMillis() + " ms");
          }
        });
  }

  /**
   * Calls {@code attempt} until it returns without failing an assertion (or reading a field that is
   * not there yet), and returns what it returned; after {@code limit}, its last failure is thrown
   * (so say in it what was seen).
   */
  public static <T> T get(Duration limit, Supplier<T> attempt) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      try {
        return attempt.get();
      } catch (AssertionError | NullPointerException e) {
        // a NullPointerException here is a field not in the response yet (rest-assured's getInt
        // of a count that is still absent): the same "not yet" as a failed assertion
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting", e);
      }
    }
  }
}
