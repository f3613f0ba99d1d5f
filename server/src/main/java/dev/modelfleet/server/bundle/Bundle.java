package dev.modelfleet.server.bundle;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A bundle the server made: who asked, for which devices, until when, and its index's hash. */
@Entity
@Table(name = "bundles")
public class Bundle extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "created_by")
  public String createdBy;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "expires_at")
  public Instant expiresAt;

  /** The devices' ids, comma-separated. */
  @Column(name = "device_ids")
  public String deviceIds;

  /** The hardware classes it carries a state for, comma-separated; empty: devices only. */
  @Column(name = "hardware_classes")
  public String hardwareClasses = "";

  /** How many of its artifacts are deltas or compressed copies rather than whole files. */
  @Column(name = "delta_count")
  public int deltaCount;

  @Column(name = "artifact_count")
  public int artifactCount;

  /** The tar's size in bytes, as announced in Content-Length. */
  @Column(name = "size_bytes")
  public long sizeBytes;

  /** sha256 of the signed index (index.dsse): names this exact bundle. */
  @Column(name = "index_sha256")
  public String indexSha256;
}
