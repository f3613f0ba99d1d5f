package dev.modelfleet.agent.download;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The floor judges whole windows: a slow instant is forgiven, a slow window is not. */
class ThroughputFloorTest {

  static final long MS = 1_000_000L;
  final ThroughputFloor floor = new ThroughputFloor(1_000, 1_000); // 1,000 bytes per second

  @Test
  void aWindowThatBringsTheMinimumPassesEvenIfItStartedStalled() {
    ThroughputFloor.Meter meter = floor.meter(0);
    assertFalse(meter.tooSlow(900 * MS), "the window is not over yet");
    meter.add(1_000);
    assertFalse(meter.tooSlow(1_000 * MS));
    assertFalse(meter.tooSlow(1_500 * MS), "the next window has only begun");
  }

  @Test
  void aWindowBelowTheMinimumTrips() {
    ThroughputFloor.Meter meter = floor.meter(0);
    meter.add(1_000);
    assertFalse(meter.tooSlow(1_000 * MS));
    meter.add(999);
    assertTrue(meter.tooSlow(2_000 * MS), "999 bytes in the second window");
  }

  @Test
  void aZeroMinimumNeverTrips() {
    ThroughputFloor.Meter meter = ThroughputFloor.NONE.meter(0);
    assertFalse(meter.tooSlow(3_600_000 * MS));
  }
}
