package dev.modelfleet.server.device.heartbeat;

import dev.modelfleet.protocol.agent.v1.ShadowFigures;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * Keeps the latest shadow aggregates each device reported per model and candidate version (table
 * shadow_figures), for the rollout's shadow gate. Only devices running a shadow send any, so this
 * write is not on the path of the fleet's ordinary heartbeats.
 */
@ApplicationScoped
public class ShadowFiguresStore {

  /** Longest comparison text kept; the agent echoes what the server sent. */
  private static final int MAX_TEXT = 200;

  private final Clock clock;

  ShadowFiguresStore(Clock clock) {
    this.clock = clock;
  }

  @Transactional
  public void record(UUID deviceId, List<ShadowFigures> reported) {
    Timestamp now = Timestamp.from(clock.instant());
    for (ShadowFigures f : reported) {
      if (f.getModel().isEmpty() || f.getCandidateVersion().isEmpty()) {
        continue;
      }
      Panache.getEntityManager()
          .createNativeQuery(
              "insert into shadow_figures (device_id, model, candidate_version, serving_version,"
                  + " comparison, compared, candidate_failures, dropped, value, passes,"
                  + " candidate_p50_ms, candidate_p95_ms, serving_p50_ms, serving_p95_ms,"
                  + " not_applicable, updated_at, load_failure, validation_compared)"
                  + " select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                  + " ?17, ?18"
                  + " where exists (select 1 from devices where id = ?1)"
                  + " on conflict (device_id, model, candidate_version) do update set"
                  + " serving_version = excluded.serving_version, comparison = excluded.comparison,"
                  + " compared = excluded.compared,"
                  + " candidate_failures = excluded.candidate_failures,"
                  + " dropped = excluded.dropped, value = excluded.value, passes = excluded.passes,"
                  + " candidate_p50_ms = excluded.candidate_p50_ms,"
                  + " candidate_p95_ms = excluded.candidate_p95_ms,"
                  + " serving_p50_ms = excluded.serving_p50_ms,"
                  + " serving_p95_ms = excluded.serving_p95_ms,"
                  + " not_applicable = excluded.not_applicable, updated_at = excluded.updated_at,"
                  + " load_failure = excluded.load_failure,"
                  + " validation_compared = excluded.validation_compared")
          .setParameter(1, deviceId)
          .setParameter(2, clip(f.getModel()))
          .setParameter(3, clip(f.getCandidateVersion()))
          .setParameter(4, clip(f.getServingVersion()))
          .setParameter(5, clip(f.getComparison()))
          .setParameter(6, Math.max(0, f.getCompared()))
          .setParameter(7, Math.max(0, f.getCandidateFailures()))
          .setParameter(8, Math.max(0, f.getDropped()))
          .setParameter(9, finite(f.getValue()))
          .setParameter(10, f.getPasses())
          .setParameter(11, finite(f.getCandidateP50Ms()))
          .setParameter(12, finite(f.getCandidateP95Ms()))
          .setParameter(13, finite(f.getServingP50Ms()))
          .setParameter(14, finite(f.getServingP95Ms()))
          .setParameter(15, clip(f.getNotApplicable()))
          .setParameter(16, now)
          .setParameter(17, clip(f.getLoadFailure()))
          // never more than it compared, whatever a device claims
          .setParameter(
              18, Math.min(Math.max(0, f.getValidationCompared()), Math.max(0, f.getCompared())))
          .executeUpdate();
    }
  }

  private static String clip(String text) {
    return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT);
  }

  /** A device's NaN or infinity (an empty figure) is stored as 0, which the gate reads as none. */
  private static double finite(double value) {
    return Double.isFinite(value) ? value : 0;
  }
}
