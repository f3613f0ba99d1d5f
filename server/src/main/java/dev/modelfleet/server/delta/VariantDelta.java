package dev.modelfleet.server.delta;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A delta the server weighed from one variant's artifact (the base) to a newer variant's. */
@Entity
@Table(name = "variant_deltas")
public class VariantDelta extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "target_variant_id")
  public UUID targetVariantId;

  @Column(name = "base_variant_id")
  public UUID baseVariantId;

  @Column(name = "base_sha256")
  public String baseSha256;

  @Column(name = "base_size")
  public long baseSize;

  /** Null when the delta was not kept. */
  @Column(name = "delta_sha256")
  public String deltaSha256;

  @Column(name = "delta_size")
  public long deltaSize;

  @Column(name = "target_size")
  public long targetSize;

  /** Whether it saved enough to be stored and offered. */
  public boolean kept;

  /** How long the server took to make it. */
  @Column(name = "make_ms")
  public long makeMs;

  @Column(name = "created_at")
  public Instant createdAt;

  static boolean exists(UUID targetVariantId, UUID baseVariantId) {
    return count("targetVariantId = ?1 and baseVariantId = ?2", targetVariantId, baseVariantId) > 0;
  }

  static Optional<VariantDelta> kept(UUID targetVariantId, String baseSha256) {
    return find(
            "targetVariantId = ?1 and baseSha256 = ?2 and kept = true order by deltaSize",
            targetVariantId,
            baseSha256)
        .firstResultOptional();
  }

  /** The kept deltas to any of {@code targetVariantIds}, smallest first. */
  static java.util.List<VariantDelta> keptTo(java.util.Collection<UUID> targetVariantIds) {
    return list("targetVariantId in ?1 and kept = true order by deltaSize, id", targetVariantIds);
  }
}
