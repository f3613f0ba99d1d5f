package dev.modelfleet.server.pki;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A certificate the fleet CA issued to a device (the certificate itself stays with the device). */
@Entity
@Table(name = "device_certificates")
public class DeviceCertificate extends PanacheEntityBase {

  /** Serial number, lowercase hex. */
  @Id public String serial;

  @Column(name = "device_id")
  public UUID deviceId;

  @Column(name = "fingerprint_sha256")
  public String fingerprintSha256;

  @Column(name = "not_before")
  public Instant notBefore;

  @Column(name = "not_after")
  public Instant notAfter;

  @Column(name = "issued_at")
  public Instant issuedAt;

  @Column(name = "revoked_at")
  public Instant revokedAt;
}
