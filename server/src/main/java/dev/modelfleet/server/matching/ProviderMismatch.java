package dev.modelfleet.server.matching;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A variant seen running on another execution provider than the one it was matched for. */
@Entity
@Table(name = "provider_mismatches")
public class ProviderMismatch extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "device_id")
  public UUID deviceId;

  @Column(name = "hardware_class_id")
  public String hardwareClassId;

  @Column(name = "variant_id")
  public UUID variantId;

  @Column(name = "expected_provider")
  public String expectedProvider;

  @Column(name = "used_provider")
  public String usedProvider;

  /** "deployment" (reported with ACTIVE) or "trial". */
  public String source;

  @Column(name = "observed_at")
  public Instant observedAt;
}
