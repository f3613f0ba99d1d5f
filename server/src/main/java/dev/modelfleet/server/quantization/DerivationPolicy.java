package dev.modelfleet.server.quantization;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A model's standing derivation request, applied to each fp32 variant uploaded after it. */
@Entity
@Table(name = "derivation_policies")
public class DerivationPolicy extends PanacheEntityBase {

  @Id
  @Column(name = "model_id")
  public UUID modelId;

  @JdbcTypeCode(SqlTypes.JSON)
  public List<String> kinds;

  @Column(name = "accuracy_floor")
  public double accuracyFloor;

  @JdbcTypeCode(SqlTypes.JSON)
  public DerivationViews.Validation validation;

  /** Output → comparator texts (canonical), as a job's; null: each output's default. */
  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, List<String>> comparators;

  /** Kind → floor, as a job's; null: the single floor for every kind. */
  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Double> floors;

  @Column(name = "created_at")
  public Instant createdAt;
}
