package dev.modelfleet.server.rollout;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Settings of the rollout engine (MODELFLEET_ROLLOUT_TICK_INTERVAL, ...). */
@ConfigMapping(prefix = "modelfleet.rollout")
public interface RolloutConfig {

  /** How often each replica looks for rollouts due a step. Lower: waves follow reports sooner. */
  @WithDefault("200ms")
  Duration tickInterval();

  /** False keeps this replica out of rollout stepping (it still serves the API and devices). */
  @WithDefault("true")
  boolean engineEnabled();

  /** How often a rollout change stream (server-sent events) sends a keep-alive comment. */
  @WithDefault("15s")
  Duration streamKeepAlive();

  /**
   * The latest a device's download policy may start its wave's timeout, counted from when it was
   * told: a device reporting that it waits for a window or a budget further out than this times out
   * as if its wait ended here. Daily windows and budgets open within a day; the rest is slack.
   */
  @WithDefault("36h")
  Duration maxDownloadWait();

  /** A device not heard from for this long counts as offline; default 3 heartbeat intervals. */
  Optional<Duration> offlineAfter();
}
