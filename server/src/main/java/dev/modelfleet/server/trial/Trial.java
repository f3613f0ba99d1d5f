package dev.modelfleet.server.trial;

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

/** A request to time the variants of one model version on some devices. */
@Entity
@Table(name = "trials")
public class Trial extends PanacheEntityBase {

  @Id public UUID id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "version_id")
  public ModelVersion version;

  /** Timed runs per variant after warm-up, as asked (the agent may cap it). */
  public int runs;

  @Column(name = "requested_at")
  public Instant requestedAt;
}
