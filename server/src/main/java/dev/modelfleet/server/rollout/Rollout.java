package dev.modelfleet.server.rollout;

import dev.modelfleet.server.model.Model;
import dev.modelfleet.server.model.ModelVersion;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

@Entity
@Table(name = "rollouts")
public class Rollout extends PanacheEntityBase {

  @Id public UUID id;
  public String name;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "model_id")
  public Model model;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "version_id")
  public ModelVersion version;

  public String selector;
  public RolloutState state;

  @Column(name = "state_reason")
  public String stateReason;

  @JdbcTypeCode(SqlTypes.JSON)
  public RolloutPlan plan;

  @Column(name = "current_wave")
  public int currentWave;

  @Column(name = "start_at")
  public Instant startAt;

  @Column(name = "next_eval_at")
  public Instant nextEvalAt;

  @Column(name = "created_by")
  public String createdBy;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "started_at")
  public Instant startedAt;

  @Column(name = "finished_at")
  public Instant finishedAt;
}
