package dev.modelfleet.server.quantization;

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
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A request to derive variants of one version, run in the background by {@link DerivationRunner}.
 */
@Entity
@Table(name = "derivation_jobs")
public class DerivationJob extends PanacheEntityBase {

  public static final String QUEUED = "queued";
  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";

  /** Every kind has an outcome, and at least one of them (not all) is {@code failed}. */
  public static final String PARTIALLY_SUCCEEDED = "partially_succeeded";

  /** The job could not run, or every kind failed. */
  public static final String FAILED = "failed";

  @Id public UUID id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "version_id")
  public ModelVersion version;

  @Column(name = "source_variant_id")
  public UUID sourceVariantId;

  @JdbcTypeCode(SqlTypes.JSON)
  public List<String> kinds;

  @Column(name = "accuracy_floor")
  public double accuracyFloor;

  /** Output name → the comparators the operator chose for it (text); null: defaults for all. */
  @JdbcTypeCode(SqlTypes.JSON)
  public java.util.Map<String, List<String>> comparators;

  /** Kind → its own floor for the default comparators, instead of {@link #accuracyFloor}. */
  @JdbcTypeCode(SqlTypes.JSON)
  public java.util.Map<String, Double> floors;

  @JdbcTypeCode(SqlTypes.JSON)
  public DerivationViews.Validation validation;

  @JdbcTypeCode(SqlTypes.JSON)
  public DerivationViews.Calibration calibration;

  public String state;
  public String step;
  public int percent;
  public String error;
  public int attempts;
  public String owner;

  @Column(name = "heartbeat_at")
  public Instant heartbeatAt;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "finished_at")
  public Instant finishedAt;

  /** Queued by the model's derivation policy rather than by a request. */
  @Column(name = "policy_job")
  public boolean policyJob;
}
