package dev.modelfleet.server.model;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

@Entity
@Table(name = "model_versions")
public class ModelVersion extends PanacheEntityBase {

  @Id public UUID id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "model_id")
  public Model model;

  public String version;

  @Column(name = "created_at")
  public Instant createdAt;

  /** Set when an operator withdrew the version: nothing new may be pointed at it. */
  @Column(name = "revoked_at")
  public Instant revokedAt;

  @Column(name = "revoked_reason")
  public String revokedReason;

  public boolean isRevoked() {
    return revokedAt != null;
  }

  public static Optional<ModelVersion> find(String model, String version) {
    return find("model.name = ?1 and version = ?2", model, version).firstResultOptional();
  }
}
