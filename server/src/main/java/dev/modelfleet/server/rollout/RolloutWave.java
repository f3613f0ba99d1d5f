package dev.modelfleet.server.rollout;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

@Entity
@Table(name = "rollout_waves")
@IdClass(RolloutWave.Key.class)
public class RolloutWave extends PanacheEntityBase {

  public static final String WAITING = "waiting";
  public static final String AWAITING_APPROVAL = "awaiting_approval";

  /** Its devices run the version as a shadow; none serves it yet (the plan's shadow phase). */
  public static final String SHADOWING = "shadowing";

  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";

  public record Key(UUID rolloutId, int waveIndex) implements Serializable {
    public Key() {
      this(null, 0);
    }
  }

  @Id
  @Column(name = "rollout_id")
  public UUID rolloutId;

  @Id
  @Column(name = "wave_index")
  public int waveIndex;

  public int planned;
  public String state;

  @Column(name = "accepted_failures")
  public int acceptedFailures;

  @Column(name = "approved_at")
  public Instant approvedAt;

  @Column(name = "approved_by")
  public String approvedBy;

  @Column(name = "started_at")
  public Instant startedAt;

  @Column(name = "finished_at")
  public Instant finishedAt;

  /** When its shadow phase (re)started; null without one. */
  @Column(name = "shadow_started_at")
  public Instant shadowStartedAt;

  /** "passed: ..." or "failed: ..." with the figures, once the shadow phase decided. */
  @Column(name = "shadow_verdict")
  public String shadowVerdict;

  public boolean isStarted() {
    return startedAt != null;
  }

  static List<RolloutWave> of(UUID rolloutId) {
    return list("rolloutId = ?1 order by waveIndex", rolloutId);
  }
}
