package dev.modelfleet.server.rollout;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.UUID;

/** A selected device's place in a rollout: its wave, what it was told, and any verdict. */
@Entity
@Table(name = "rollout_devices")
@IdClass(RolloutDevice.Key.class)
public class RolloutDevice extends PanacheEntityBase {

  public static final String SKIPPED = "skipped";
  public static final String FAILED = "failed";
  public static final String ROLLED_BACK = "rolled_back";

  public record Key(UUID rolloutId, UUID deviceId) implements Serializable {
    public Key() {
      this(null, null);
    }
  }

  @Id
  @Column(name = "rollout_id")
  public UUID rolloutId;

  @Id
  @Column(name = "device_id")
  public UUID deviceId;

  @Column(name = "model_id")
  public UUID modelId;

  @Column(name = "wave_index")
  public int waveIndex;

  @Column(name = "hardware_class_id")
  public String hardwareClassId;

  @Column(name = "assigned_at")
  public Instant assignedAt;

  public Long generation;

  /** When the device was told to run the version as a shadow (the wave's shadow phase). */
  @Column(name = "shadow_at")
  public Instant shadowAt;

  @Column(name = "variant_id")
  public UUID variantId;

  @Column(name = "previous_variant_id")
  public UUID previousVariantId;

  /** Null while the deployment decides; "skipped", "failed" or "rolled_back" once decided. */
  public String outcome;

  @Column(name = "outcome_reason")
  public String outcomeReason;

  public boolean released;

  public boolean isAssigned() {
    return assignedAt != null;
  }

  void decide(String outcome, String reason) {
    this.outcome = outcome;
    this.outcomeReason = reason;
    RolloutChanges.touched(rolloutId);
  }
}
