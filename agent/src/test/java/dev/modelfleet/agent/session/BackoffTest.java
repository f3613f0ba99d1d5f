package dev.modelfleet.agent.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void capsGrowFromHalfASecondToThirtySecondsAndDelaysAreJitteredBelowTheCap() {
    Backoff backoff = new Backoff(500, 30_000);
    long[] caps = new long[10];
    for (int i = 0; i < caps.length; i++) {
      caps[i] = backoff.currentCapMs();
      long delay = backoff.nextDelayMs();
      assertTrue(delay >= 0 && delay <= caps[i]);
    }
    assertEquals(500, caps[0]);
    assertEquals(1000, caps[1]);
    assertEquals(30_000, caps[9]);
    backoff.reset();
    assertEquals(500, backoff.currentCapMs());
  }
}
