package dev.modelfleet.server.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.rollout.RolloutViews.DeviceView;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The view's figures, counted by the database ({@link RolloutTally}), against the engine's reading
 * of the same rows ({@link RolloutProgress}, device by device in Java): both must say the same of
 * every wave, or the page would show one thing while the engine acts on another. The view reads
 * rollout_member_tally, which triggers keep as members, deployment statuses and health rows change
 * (V30); the engine reads those rows themselves, so this also checks that no write escaped them.
 */
final class TallyAgreement {

  private TallyAgreement() {}

  /** Checks with devices heard from recently counted as online, then with every one offline. */
  static void assertAgrees(String rolloutId) {
    assertAgrees(rolloutId, Instant.now().minus(Duration.ofMinutes(5)));
    assertAgrees(rolloutId, Instant.now().plus(Duration.ofMinutes(5)));
  }

  private static void assertAgrees(String rolloutId, Instant offlineSince) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              // one snapshot for both readings, however the engine moves meanwhile
              Panache.getEntityManager()
                  .createNativeQuery("set transaction isolation level repeatable read")
                  .executeUpdate();
              Rollout r = Rollout.findById(UUID.fromString(rolloutId));
              RolloutProgress progress = RolloutProgress.load(r, offlineSince);
              var tally = RolloutTally.waves(r, offlineSince);
              Set<Integer> waves = new TreeSet<>();
              progress.devices().forEach(d -> waves.add(d.wave()));
              assertEquals(waves, new TreeSet<>(tally.keySet()), "waves with devices");
              for (int w : waves) {
                assertEquals(progress.wave(w), tally.get(w), "wave " + w);
              }
              List<DeviceView> problems =
                  progress.devices().stream()
                      .map(d -> DeviceView.of(d, r.version.version, offlineSince))
                      .filter(d -> d.reason() != null)
                      .limit(100)
                      .toList();
              assertEquals(problems, RolloutTally.problems(r, offlineSince, 100), "problems");
            });
  }
}
