package dev.modelfleet.server.delta;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/** A variant's artifact compressed whole, as the server weighed it once: kept or only measured. */
@Entity
@Table(name = "variant_compressions")
public class VariantCompression extends PanacheEntityBase {

  @Id
  @Column(name = "variant_id")
  public UUID variantId;

  public String encoding;

  /** Null when the copy was not kept. */
  @Column(name = "compressed_sha256")
  public String compressedSha256;

  @Column(name = "compressed_size")
  public long compressedSize;

  @Column(name = "target_size")
  public long targetSize;

  /** Whether it saved enough to be stored and offered. */
  public boolean kept;

  /** How long the server took to compress it. */
  @Column(name = "make_ms")
  public long makeMs;

  @Column(name = "created_at")
  public Instant createdAt;

  /** The kept copies of any of {@code variantIds}. */
  static List<VariantCompression> keptFor(Collection<UUID> variantIds) {
    return list("variantId in ?1 and kept = true", variantIds);
  }
}
