package dev.modelfleet.server.trial;

import dev.modelfleet.server.model.Variant;
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

/**
 * One candidate variant of a trial on one device: pending until the device reports, then its
 * figures. While pending, the device may download the variant's artifact.
 */
@Entity
@Table(name = "trial_results")
public class TrialResult extends PanacheEntityBase {

  public static final String PENDING = "pending";
  public static final String MEASURED = "measured";
  public static final String FAILED = "failed";

  @Id public UUID id;

  @Column(name = "trial_id")
  public UUID trialId;

  @Column(name = "device_id")
  public UUID deviceId;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "variant_id")
  public Variant variant;

  @Column(name = "hardware_class_id")
  public String hardwareClassId;

  /** {@link #PENDING}, {@link #MEASURED} or {@link #FAILED}. */
  public String state;

  @Column(name = "load_ms")
  public Long loadMs;

  public Integer runs;

  @Column(name = "p50_ms")
  public Double p50Ms;

  @Column(name = "p95_ms")
  public Double p95Ms;

  @Column(name = "peak_memory_bytes")
  public Long peakMemoryBytes;

  @Column(name = "execution_provider_used")
  public String executionProviderUsed;

  public String error;

  @Column(name = "reason_code")
  public String reasonCode;

  @Column(name = "reported_at")
  public Instant reportedAt;
}
