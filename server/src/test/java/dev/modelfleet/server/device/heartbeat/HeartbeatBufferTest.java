package dev.modelfleet.server.device.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.modelfleet.server.device.heartbeat.HeartbeatBuffer.Outcome;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The coalescing buffer behind heartbeat ingest (unit test: no server). */
class HeartbeatBufferTest {

  @Test
  void keepsOnlyTheLatestPerDevice() {
    HeartbeatBuffer buffer = new HeartbeatBuffer(10);
    UUID device = UUID.randomUUID();
    assertEquals(Outcome.QUEUED, buffer.offer(beat(device, 1)));
    assertEquals(Outcome.REPLACED_OLDER, buffer.offer(beat(device, 2)));
    List<PendingHeartbeat> drained = buffer.drain(100);
    assertEquals(1, drained.size());
    assertEquals(2, drained.get(0).sentAtMs());
    assertEquals(0, buffer.size());
  }

  @Test
  void aFailedWriteGoesBackUnderANewerHeartbeat() {
    HeartbeatBuffer buffer = new HeartbeatBuffer(10);
    UUID busy = UUID.randomUUID();
    UUID quiet = UUID.randomUUID();
    buffer.offer(beat(busy, 1));
    buffer.offer(beat(quiet, 1));
    List<PendingHeartbeat> failed = buffer.drain(100);
    PendingHeartbeat newer = beat(busy, 2);
    buffer.offer(newer); // arrived while the write was failing

    assertEquals(1, buffer.restore(failed), "the busy device's old heartbeat was superseded");
    List<PendingHeartbeat> next = buffer.drain(100);
    assertEquals(2, next.size());
    assertSame(
        newer, next.stream().filter(h -> h.deviceId().equals(busy)).findFirst().orElseThrow());
    assertEquals(
        1,
        next.stream().filter(h -> h.deviceId().equals(quiet)).findFirst().orElseThrow().sentAtMs());
  }

  @Test
  void aFullBufferDropsNewDevicesButStillTakesNewerHeartbeatsOfWaitingOnes() {
    HeartbeatBuffer buffer = new HeartbeatBuffer(2);
    UUID a = UUID.randomUUID();
    buffer.offer(beat(a, 1));
    buffer.offer(beat(UUID.randomUUID(), 1));
    assertEquals(Outcome.DROPPED_FULL, buffer.offer(beat(UUID.randomUUID(), 1)));
    assertEquals(Outcome.REPLACED_OLDER, buffer.offer(beat(a, 2)));
    assertEquals(2, buffer.size());
  }

  @Test
  void drainTakesAtMostTheBatch() {
    HeartbeatBuffer buffer = new HeartbeatBuffer(100);
    for (int i = 0; i < 7; i++) {
      buffer.offer(beat(UUID.randomUUID(), i));
    }
    assertEquals(5, buffer.drain(5).size());
    assertEquals(2, buffer.drain(5).size());
  }

  private static PendingHeartbeat beat(UUID device, long sentAtMs) {
    return new PendingHeartbeat(
        device, Instant.now(), System.nanoTime(), sentAtMs, List.of(), List.of(), null);
  }
}
