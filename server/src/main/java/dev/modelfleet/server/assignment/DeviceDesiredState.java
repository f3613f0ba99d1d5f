package dev.modelfleet.server.assignment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** The latest signed desired-state document of a device, exactly as sent to it. */
@Entity
@Table(name = "device_desired_states")
public class DeviceDesiredState extends PanacheEntityBase {

  @Id
  @Column(name = "device_id")
  public UUID deviceId;

  /** Only ever grows: agents refuse a document not newer than the last one they accepted. */
  public long generation;

  /** The serialized SignedEnvelope holding the DesiredState. */
  public byte[] document;

  @Column(name = "issued_at")
  public Instant issuedAt;

  @Column(name = "expires_at")
  public Instant expiresAt;
}
