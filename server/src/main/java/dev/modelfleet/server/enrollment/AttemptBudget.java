package dev.modelfleet.server.enrollment;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per key (a network address): each attempt takes a token, tokens come back at a
 * steady rate up to a burst. Buckets that are full again are forgotten when the map grows, so a
 * flood from many addresses cannot grow it without bound.
 */
public final class AttemptBudget {

  private static final int FORGET_ABOVE = 10_000;

  private final double perNano;
  private final double burst;
  private final LongSupplier nanoClock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  // a bucket left alone for burst / rate is full again: sweeping more often finds nothing new,
  // and during a flood from many addresses it would scan the whole map on every attempt
  private volatile long nextSweepAt = Long.MIN_VALUE;

  public AttemptBudget(double ratePerSecond, int burst, LongSupplier nanoClock) {
    if (ratePerSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate must be positive and burst at least 1");
    }
    this.perNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.nanoClock = nanoClock;
  }

  /** Takes one attempt for {@code key}; 0 when allowed, else the nanoseconds until one is. */
  public long take(String key) {
    long now = nanoClock.getAsLong();
    if (buckets.size() > FORGET_ABOVE && now >= nextSweepAt) {
      nextSweepAt = now + (long) Math.ceil(burst / perNano);
      buckets.values().removeIf(b -> b.fullAt(now, perNano, burst));
    }
    return buckets.computeIfAbsent(key, k -> new Bucket(burst, now)).take(now, perNano, burst);
  }

  private static final class Bucket {
    private double tokens;
    private long updatedAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updatedAt = now;
    }

    synchronized long take(long now, double perNano, double burst) {
      refill(now, perNano, burst);
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) / perNano);
    }

    synchronized boolean fullAt(long now, double perNano, double burst) {
      refill(now, perNano, burst);
      return tokens >= burst;
    }

    private void refill(long now, double perNano, double burst) {
      tokens = Math.min(burst, tokens + (now - updatedAt) * perNano);
      updatedAt = now;
    }
  }
}
