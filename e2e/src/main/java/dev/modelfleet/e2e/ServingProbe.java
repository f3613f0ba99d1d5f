package dev.modelfleet.e2e;

import java.time.Duration;

/** Calls a model in a loop and keeps the longest time between two answers. */
public final class ServingProbe implements Runnable {
  private final InferenceClient client;
  private final String model;
  private volatile boolean stopped;
  private long successes;
  private long failures;
  private long lastOk;
  private long longestGapNanos;
  private Thread thread;

  private ServingProbe(InferenceClient client, String model) {
    this.client = client;
    this.model = model;
  }

  public static ServingProbe start(InferenceClient client, String model) {
    ServingProbe probe = new ServingProbe(client, model);
    probe.thread = new Thread(probe, "serving-probe");
    probe.thread.start();
    return probe;
  }

  @Override
  public void run() {
    while (!stopped) {
      try {
        client.inferWithSyntheticInputs(model);
        long now = System.nanoTime();
        synchronized (this) {
          if (lastOk != 0) {
            longestGapNanos = Math.max(longestGapNanos, now - lastOk);
          }
          lastOk = now;
          successes++;
        }
      } catch (RuntimeException e) {
        synchronized (this) {
          failures++;
        }
        Waits.sleep(Duration.ofMillis(10));
      }
    }
  }

  public void stop() throws InterruptedException {
    stopped = true;
    thread.join();
  }

  public synchronized long successes() {
    return successes;
  }

  public synchronized long failures() {
    return failures;
  }

  public synchronized Duration longestGap() {
    return Duration.ofNanos(longestGapNanos);
  }

  @Override
  public synchronized String toString() {
    return successes
        + " answers, "
        + failures
        + " failed calls, longest gap "
        + longestGap().toMillis()
        + " ms";
  }
}
