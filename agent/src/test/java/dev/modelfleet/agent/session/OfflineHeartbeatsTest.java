package dev.modelfleet.agent.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Heartbeats made offline survive a restart, stay bounded (newest kept) and go out once, aged. */
class OfflineHeartbeatsTest {

  @TempDir Path dir;

  static Heartbeat beat(long sentAtMs) {
    return Heartbeat.newBuilder()
        .setSentAtMs(sentAtMs)
        .addInstalled(InstalledModel.newBuilder().setModel("classifier").setVersion("1"))
        .build();
  }

  @Test
  void keptAcrossARestartAndSentOnceOldestFirstWithTheirAge() {
    OfflineHeartbeats queue = new OfflineHeartbeats(dir, 10, 64 * 1024);
    queue.add(beat(1_000));
    queue.add(beat(2_000));

    List<Heartbeat> sent = new ArrayList<>();
    new OfflineHeartbeats(dir, 10, 64 * 1024).drain(5_000, sent::add);
    assertEquals(List.of(1_000L, 2_000L), sent.stream().map(Heartbeat::getSentAtMs).toList());
    assertEquals(
        List.of(4_000L, 3_000L),
        sent.stream().map(Heartbeat::getQueuedForMs).toList(),
        "made that long before sending, by the device's clock");
    assertEquals(0, new OfflineHeartbeats(dir, 10, 64 * 1024).size(), "sent ones are forgotten");
  }

  @Test
  void boundedByCountAndByBytesTheOldestGoFirst() {
    OfflineHeartbeats byCount = new OfflineHeartbeats(dir, 3, 64 * 1024);
    for (long t = 1; t <= 5; t++) {
      byCount.add(beat(t));
    }
    List<Heartbeat> sent = new ArrayList<>();
    new OfflineHeartbeats(dir, 3, 64 * 1024).drain(10, sent::add);
    assertEquals(List.of(3L, 4L, 5L), sent.stream().map(Heartbeat::getSentAtMs).toList());

    int size = beat(1).getSerializedSize();
    OfflineHeartbeats byBytes = new OfflineHeartbeats(dir, 100, 2 * size);
    for (long t = 1; t <= 5; t++) {
      byBytes.add(beat(t));
    }
    assertEquals(2, byBytes.size(), "no more bytes than allowed");
  }

  @Test
  void heartbeatsASessionFailedToSendStayForTheNextOne() {
    OfflineHeartbeats queue = new OfflineHeartbeats(dir, 10, 64 * 1024);
    for (long t = 1; t <= 3; t++) {
      queue.add(beat(t));
    }
    assertThrows(
        IllegalStateException.class,
        () ->
            queue.drain(
                10,
                h -> {
                  if (h.getSentAtMs() == 2) {
                    throw new IllegalStateException("stream closed");
                  }
                }));
    List<Heartbeat> later = new ArrayList<>();
    new OfflineHeartbeats(dir, 10, 64 * 1024).drain(10, later::add);
    assertEquals(List.of(2L, 3L), later.stream().map(Heartbeat::getSentAtMs).toList());
  }
}
