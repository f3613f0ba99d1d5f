package dev.modelfleet.server.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** From when a wave's timeout counts for a device whose download policy holds it back. */
class DeviceProgressTimeoutTest {

  private static final Instant TOLD = Instant.parse("2026-12-07T12:00:00Z");
  private static final Duration CAP = Duration.ofHours(36);

  private static DeviceProgress waitingUntil(Instant until) {
    return new DeviceProgress(
        UUID.randomUUID(),
        0,
        null,
        TOLD,
        1L,
        null,
        null,
        null,
        null,
        "2",
        1,
        "pending",
        null,
        null,
        "cpu",
        TOLD,
        null,
        null,
        DeviceProgress.WAITING_WINDOW,
        until);
  }

  @Test
  void a_device_that_never_waited_counts_from_when_it_was_told() {
    assertEquals(TOLD, waitingUntil(null).timeoutStartsAt(CAP));
    assertEquals(TOLD, waitingUntil(TOLD.minusSeconds(60)).timeoutStartsAt(CAP));
  }

  @Test
  void a_device_waiting_for_its_window_counts_from_the_opening() {
    Instant opening = Instant.parse("2026-12-08T01:00:00Z");

    assertEquals(opening, waitingUntil(opening).timeoutStartsAt(CAP));
  }

  @Test
  void a_wait_reported_beyond_the_cap_counts_as_ending_at_the_cap() {
    Instant farAway = TOLD.plus(Duration.ofDays(400));

    assertEquals(TOLD.plus(CAP), waitingUntil(farAway).timeoutStartsAt(CAP));
  }
}
