package dev.modelfleet.server.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Watchers of a large rollout must not keep PostgreSQL reading it back to back. */
class RolloutFeedPaceTest {

  @Test
  void cheapReadingsComeAtMostFourTimesASecond() {
    assertEquals(250, RolloutFeed.gapAfter(0));
    assertEquals(250, RolloutFeed.gapAfter(40));
  }

  @Test
  void aCostlyReadingIsFollowedByFourTimesItsCostOfRest() {
    // 50,000 members: a reading of ~2 s; the next starts 10 s after this one started
    assertEquals(10_000, RolloutFeed.gapAfter(2_000));
    assertEquals(500, RolloutFeed.gapAfter(100));
  }
}
