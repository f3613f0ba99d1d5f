package dev.modelfleet.agent.runtime;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Picks which live requests are replayed on a shadow candidate: each with the configured
 * probability, and never more than the per-second ceiling. Runs on the request path, so a request
 * not picked costs one random draw; the ceiling's lock is taken only by requests the draw picked.
 */
final class ShadowSampler {

  private static final long SECOND = 1_000_000_000L;

  private final double rate;
  private final int maxPerSecond;
  private final DoubleSupplier random;
  private final LongSupplier nanoClock;
  private long windowStart;
  private int inWindow;
  private long overCeiling;

  ShadowSampler(ShadowSettings settings) {
    this(settings, () -> ThreadLocalRandom.current().nextDouble(), System::nanoTime);
  }

  ShadowSampler(ShadowSettings settings, DoubleSupplier random, LongSupplier nanoClock) {
    this.rate = settings.sampleRate();
    this.maxPerSecond = settings.maxPerSecond();
    this.random = random;
    this.nanoClock = nanoClock;
    this.windowStart = nanoClock.getAsLong();
  }

  /** Whether this request is a sample. */
  boolean take() {
    if (rate <= 0 || (rate < 1 && random.getAsDouble() >= rate)) {
      return false;
    }
    if (maxPerSecond == 0) {
      return true;
    }
    synchronized (this) {
      long now = nanoClock.getAsLong();
      if (now - windowStart >= SECOND) {
        windowStart = now;
        inWindow = 0;
      }
      if (inWindow < maxPerSecond) {
        inWindow++;
        return true;
      }
      overCeiling++;
      return false;
    }
  }

  /** Requests the draw picked but the per-second ceiling turned away. */
  synchronized long overCeiling() {
    return overCeiling;
  }
}
