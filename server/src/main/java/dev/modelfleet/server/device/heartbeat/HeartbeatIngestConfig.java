package dev.modelfleet.server.device.heartbeat;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Settings of heartbeat ingest, next to the server's others under "modelfleet"
 * (MODELFLEET_HEARTBEAT_FLUSH_INTERVAL, MODELFLEET_HEARTBEAT_MAX_PENDING).
 */
@ConfigMapping(prefix = "modelfleet")
public interface HeartbeatIngestConfig {

  /**
   * The pause between two flushes of buffered heartbeats. A flush takes whatever arrived meanwhile,
   * so under load batches grow by themselves; the pause only bounds how long a heartbeat waits at
   * low load (an empty buffer costs no transaction).
   */
  @WithDefault("20ms")
  Duration heartbeatFlushInterval();

  /** Devices whose heartbeats may wait in memory at once; beyond that new ones are dropped. */
  @WithDefault("200000")
  int heartbeatMaxPending();
}
