package dev.modelfleet.server.assignment;

import dev.modelfleet.server.model.Model;
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
import java.util.List;
import java.util.UUID;

/** One model slot of a device: which variant of which version it should run. */
@Entity
@Table(name = "desired_models")
public class DesiredModel extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "device_id")
  public UUID deviceId;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "model_id")
  public Model model;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "variant_id")
  public Variant variant;

  @Column(name = "updated_at")
  public Instant updatedAt;

  /** A candidate the device runs beside {@link #variant}, never in its place; null for none. */
  @ManyToOne(fetch = FetchType.LAZY)
  @JoinColumn(name = "shadow_variant_id")
  public Variant shadowVariant;

  @Column(name = "shadow_comparison")
  public String shadowComparison;

  @Column(name = "shadow_sample_rate")
  public Double shadowSampleRate;

  @Column(name = "shadow_max_per_second")
  public Integer shadowMaxPerSecond;

  /** The version's validation set a quiet device shadows on (sha256, size); null for none. */
  @Column(name = "shadow_validation_sha256")
  public String shadowValidationSha256;

  @Column(name = "shadow_validation_size")
  public Long shadowValidationSize;

  /** Seconds without a live request before the device replays the validation set. */
  @Column(name = "shadow_idle_seconds")
  public Integer shadowIdleSeconds;

  /**
   * Set when a rollback pointed the device at the variant: the signed desired state then allows the
   * device to go back to an older version (agents refuse an older release of themselves otherwise).
   */
  @Column(name = "allow_downgrade")
  public boolean allowDowngrade;

  void clearShadow() {
    shadowVariant = null;
    shadowComparison = null;
    shadowSampleRate = null;
    shadowMaxPerSecond = null;
    shadowValidationSha256 = null;
    shadowValidationSize = null;
    shadowIdleSeconds = null;
  }

  public static List<DesiredModel> ofDevice(UUID deviceId) {
    return list("deviceId = ?1 order by model.name", deviceId);
  }

  /** The slots of {@code model} on any of {@code deviceIds}, by device id (one query). */
  static java.util.Map<UUID, DesiredModel> ofDevices(
      java.util.Collection<UUID> deviceIds, Model model) {
    java.util.Map<UUID, DesiredModel> slots = new java.util.HashMap<>();
    DesiredModel.<DesiredModel>list("deviceId in ?1 and model = ?2", deviceIds, model)
        .forEach(d -> slots.put(d.deviceId, d));
    return slots;
  }
}
