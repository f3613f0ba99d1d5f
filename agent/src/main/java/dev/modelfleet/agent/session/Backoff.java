package dev.modelfleet.agent.session;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter (a random delay between 0 and the current cap), so that a
 * fleet cut off by one server restart does not reconnect in lockstep.
 */
public final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private int attempt;

  public Backoff(long initialMs, long maxMs) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  public long nextDelayMs() {
    long cap = Math.min(maxMs, initialMs << Math.min(attempt, 20));
    attempt++;
    return ThreadLocalRandom.current().nextLong(cap + 1);
  }

  /** The cap the next delay is drawn under (for tests and logs). */
  public long currentCapMs() {
    return Math.min(maxMs, initialMs << Math.min(attempt, 20));
  }

  public void reset() {
    attempt = 0;
  }
}
