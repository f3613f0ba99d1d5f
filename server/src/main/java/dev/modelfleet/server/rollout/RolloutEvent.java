package dev.modelfleet.server.rollout;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** Who did what to a rollout, and when: operators' actions and the engine's decisions. */
@Entity
@Table(name = "rollout_events")
public class RolloutEvent extends PanacheEntityBase {

  public static final String ADMIN = "admin";
  public static final String ENGINE = "engine";

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "rollout_id")
  public UUID rolloutId;

  public Instant at;
  public String actor;
  public String type;

  @Column(name = "wave_index")
  public Integer waveIndex;

  public String detail;

  static void record(
      UUID rolloutId, Instant at, String actor, String type, Integer wave, String detail) {
    RolloutEvent event = new RolloutEvent();
    event.rolloutId = rolloutId;
    event.at = at;
    event.actor = actor;
    event.type = type;
    event.waveIndex = wave;
    event.detail = detail;
    event.persist();
    RolloutChanges.touched(rolloutId);
  }
}
