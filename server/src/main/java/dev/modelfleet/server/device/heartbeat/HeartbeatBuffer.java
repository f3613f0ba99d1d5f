package dev.modelfleet.server.device.heartbeat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The latest heartbeat of each device, not yet written. A heartbeat says everything about its
 * device (installed models, counters since the agent started), so a newer one replaces an older one
 * whole and nothing is lost by writing only the latest. At most one entry per device, and no more
 * than {@code capacity} devices.
 */
public final class HeartbeatBuffer {

  public enum Outcome {
    QUEUED,
    REPLACED_OLDER,
    DROPPED_FULL
  }

  private final ConcurrentMap<UUID, PendingHeartbeat> pending = new ConcurrentHashMap<>();
  private final int capacity;

  public HeartbeatBuffer(int capacity) {
    this.capacity = capacity;
  }

  /**
   * Queues a heartbeat. When the buffer is full (the database has fallen far behind), one of a
   * device not yet waiting is dropped: that device's next heartbeat says the same again.
   */
  public Outcome offer(PendingHeartbeat heartbeat) {
    UUID id = heartbeat.deviceId();
    if (pending.size() >= capacity && !pending.containsKey(id)) {
      return Outcome.DROPPED_FULL;
    }
    return pending.put(id, heartbeat) == null ? Outcome.QUEUED : Outcome.REPLACED_OLDER;
  }

  /**
   * Takes up to {@code max} heartbeats out; a heartbeat arriving meanwhile waits for the next call.
   */
  public List<PendingHeartbeat> drain(int max) {
    List<PendingHeartbeat> taken = new ArrayList<>(Math.min(max, pending.size()));
    for (UUID id : pending.keySet()) {
      if (taken.size() >= max) {
        break;
      }
      PendingHeartbeat heartbeat = pending.remove(id);
      if (heartbeat != null) {
        taken.add(heartbeat);
      }
    }
    return taken;
  }

  /**
   * Puts back heartbeats that were not written, unless a newer one of the same device arrived
   * since. Returns how many were superseded that way.
   */
  public int restore(Collection<PendingHeartbeat> unwritten) {
    int superseded = 0;
    for (PendingHeartbeat heartbeat : unwritten) {
      if (pending.putIfAbsent(heartbeat.deviceId(), heartbeat) != null) {
        superseded++;
      }
    }
    return superseded;
  }

  public int size() {
    return pending.size();
  }
}
