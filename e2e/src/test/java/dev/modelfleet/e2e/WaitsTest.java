package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The harness's one wait: no processes, only the rules every e2e wait relies on. */
class WaitsTest {

  @Test
  void aProbeThatFailsForNowIsAskedAgainUntilItHolds() {
    AtomicInteger calls = new AtomicInteger();
    String value =
        Waits.until(
            "the third call",
            Duration.ofSeconds(10),
            () -> {
              if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("connection refused");
              }
              return calls.get() < 3 ? null : "ready";
            });
    assertEquals("ready", value);
    assertEquals(3, calls.get());
  }

  @Test
  void aProbeThatGivesUpEndsTheWaitAtOnceWithItsReason() {
    long started = System.nanoTime();
    Waits.GaveUp e =
        assertThrows(
            Waits.GaveUp.class,
            () ->
                Waits.until(
                    "a deployment",
                    Duration.ofSeconds(30),
                    () -> {
                      throw new Waits.GaveUp("agent-1: FAILED 1 because: sha256-mismatch");
                    }));
    assertEquals("agent-1: FAILED 1 because: sha256-mismatch", e.getMessage());
    assertTrue(
        Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(5)) < 0,
        "gave up without waiting out the 30 s");
  }

  @Test
  void aTimeoutNamesWhatWasAwaitedAndKeepsTheLastFailure() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Waits.until(
                    "the listener",
                    Duration.ofMillis(200),
                    () -> {
                      throw new IllegalArgumentException("still starting");
                    }));
    assertEquals("timed out after 0 s waiting for the listener", e.getMessage());
    assertEquals("still starting", e.getCause().getMessage());
  }
}
