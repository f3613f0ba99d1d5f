package dev.modelfleet.server.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.modelfleet.server.rollout.RolloutPlan.WavePlan;
import dev.modelfleet.server.rollout.WavePlanner.Candidate;
import dev.modelfleet.server.rollout.WavePlanner.Placement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WavePlannerTest {

  private static final List<WavePlan> ONE_TEN_FIFTY_ALL =
      List.of(percent(1), percent(10), percent(50), percent(100));

  @Test
  void percentagesAreCumulativeAndRoundUp() {
    assertArrayEquals(
        new int[] {10, 100, 500, 1000}, WavePlanner.waveEnds(1000, ONE_TEN_FIFTY_ALL, 1));
    // 1 % of 50 devices is one device, never none
    assertArrayEquals(new int[] {1, 5, 25, 50}, WavePlanner.waveEnds(50, ONE_TEN_FIFTY_ALL, 1));
    // more canaries than the first wave's share: the first wave grows, later ones never shrink
    assertArrayEquals(new int[] {7, 7, 25, 50}, WavePlanner.waveEnds(50, ONE_TEN_FIFTY_ALL, 7));
    assertArrayEquals(
        new int[] {3, 8, 20},
        WavePlanner.waveEnds(20, List.of(count(3), count(5), percent(100)), 1));
    // counts beyond the selection stop at its size
    assertArrayEquals(
        new int[] {2, 2}, WavePlanner.waveEnds(2, List.of(count(5), percent(100)), 1));
  }

  @Test
  void membershipIsStableAndDiffersBetweenRollouts() {
    List<Candidate> devices = devices(200, 1);
    UUID rollout = UUID.randomUUID();
    List<Placement> first = WavePlanner.place(rollout, devices, ONE_TEN_FIFTY_ALL);
    List<Candidate> shuffled = new ArrayList<>(devices);
    Collections.shuffle(shuffled);
    assertEquals(
        byDevice(first),
        byDevice(WavePlanner.place(rollout, shuffled, ONE_TEN_FIFTY_ALL)),
        "the same rollout places every device in the same wave, whatever order they come in");
    assertNotEquals(
        byDevice(first),
        byDevice(WavePlanner.place(UUID.randomUUID(), devices, ONE_TEN_FIFTY_ALL)),
        "another rollout picks other canaries");
    Map<Integer, Long> sizes =
        first.stream().collect(Collectors.groupingBy(Placement::wave, Collectors.counting()));
    assertEquals(Map.of(0, 2L, 1, 18L, 2, 80L, 3, 100L), sizes);
  }

  @Test
  void firstWaveHoldsACanaryOfEveryHardwareClass() {
    List<Candidate> devices = devices(300, 5);
    devices.add(new Candidate(UUID.randomUUID(), null)); // a device that never reported hardware
    List<Placement> placed = WavePlanner.place(UUID.randomUUID(), devices, ONE_TEN_FIFTY_ALL);
    Set<String> firstWaveClasses =
        placed.stream()
            .filter(p -> p.wave() == 0)
            .map(p -> String.valueOf(p.hardwareClassId()))
            .collect(Collectors.toSet());
    assertEquals(
        Set.of("class-0", "class-1", "class-2", "class-3", "class-4", "null"), firstWaveClasses);
    assertEquals(301, placed.size());
  }

  private static List<Candidate> devices(int n, int classes) {
    List<Candidate> devices = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      devices.add(new Candidate(UUID.randomUUID(), "class-" + (i % classes)));
    }
    return devices;
  }

  private static Map<UUID, Integer> byDevice(List<Placement> placements) {
    return placements.stream().collect(Collectors.toMap(Placement::deviceId, Placement::wave));
  }

  private static WavePlan percent(double p) {
    return new WavePlan(p, null, 100, 0, 0, 60, "failed", false);
  }

  private static WavePlan count(int n) {
    return new WavePlan(null, n, 100, 0, 0, 60, "failed", false);
  }
}
