package dev.modelfleet.server.rollout;

import dev.modelfleet.server.rollout.RolloutPlan.WavePlan;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Places selected devices into waves. The order is a hash of rollout and device id: stable (the
 * same device lands in the same wave however often it is computed), spread (no bias by enrollment
 * date or name) and different per rollout (not always the same unlucky canaries). The first wave
 * holds at least one device of every hardware class in the selection.
 */
final class WavePlanner {

  /** A selected device; {@code hardwareClassId} is null when it never reported a profile. */
  record Candidate(UUID deviceId, String hardwareClassId) {}

  record Placement(UUID deviceId, String hardwareClassId, int wave) {}

  private WavePlanner() {}

  static List<Placement> place(UUID rolloutId, List<Candidate> candidates, List<WavePlan> waves) {
    List<Ranked> ranked = new ArrayList<>();
    for (Candidate c : candidates) {
      ranked.add(new Ranked(c, rank(rolloutId, c.deviceId())));
    }
    ranked.sort(Comparator.comparing(Ranked::rank));

    Set<Ranked> canaries = new LinkedHashSet<>();
    Set<String> classesSeen = new HashSet<>();
    for (Ranked r : ranked) {
      if (classesSeen.add(classKey(r.candidate()))) {
        canaries.add(r);
      }
    }
    List<Ranked> order = new ArrayList<>(canaries);
    ranked.stream().filter(r -> !canaries.contains(r)).forEach(order::add);

    int[] ends = waveEnds(candidates.size(), waves, canaries.size());
    List<Placement> placements = new ArrayList<>(order.size());
    int wave = 0;
    for (int i = 0; i < order.size(); i++) {
      while (i >= ends[wave]) {
        wave++;
      }
      Candidate c = order.get(i).candidate();
      placements.add(new Placement(c.deviceId(), c.hardwareClassId(), wave));
    }
    return placements;
  }

  /**
   * Exclusive end index of each wave in the ranked order. Percentages are cumulative shares rounded
   * up (1 % of 50 devices is one device, not none); counts add to the previous end.
   */
  static int[] waveEnds(int total, List<WavePlan> waves, int canaries) {
    int[] ends = new int[waves.size()];
    int previous = 0;
    for (int i = 0; i < waves.size(); i++) {
      WavePlan w = waves.get(i);
      long end =
          w.percent() != null
              ? (long) Math.ceil(total * w.percent() / 100.0 - 1e-9)
              : (long) previous + w.count();
      if (i == 0) {
        end = Math.max(end, canaries);
      }
      if (i == waves.size() - 1) {
        end = total;
      }
      previous = (int) Math.min(total, Math.max(previous, end));
      ends[i] = previous;
    }
    return ends;
  }

  static String classKey(Candidate c) {
    return c.hardwareClassId() == null ? "" : c.hardwareClassId();
  }

  static String rank(UUID rolloutId, UUID deviceId) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(rolloutId.toString().getBytes(StandardCharsets.US_ASCII));
      sha.update(deviceId.toString().getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private record Ranked(Candidate candidate, String rank) {}
}
