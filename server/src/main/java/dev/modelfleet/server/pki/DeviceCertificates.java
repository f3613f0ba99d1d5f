package dev.modelfleet.server.pki;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceDecommissioned;
import dev.modelfleet.server.device.DeviceStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.transaction.Transactional;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * Device certificates: issued from a device's own request, recorded by serial number, looked up on
 * every agent call, revoked when the device is decommissioned.
 */
@ApplicationScoped
public class DeviceCertificates {

  /**
   * The URI the device's certificate names it by (subjectAltName), besides CN=&lt;device id&gt;.
   */
  public static String deviceUri(UUID deviceId) {
    return "urn:modelfleet:device:" + deviceId;
  }

  /** What presenting a certificate proved: a device, or why not. */
  public record Verdict(UUID deviceId, String refusal) {
    static Verdict refused(String why) {
      return new Verdict(null, why);
    }

    public boolean accepted() {
      return deviceId != null;
    }
  }

  private final FleetCa ca;
  private final AgentTlsConfig config;

  DeviceCertificates(FleetCa ca, AgentTlsConfig config) {
    this.ca = ca;
    this.config = config;
  }

  /** A new device's first certificate; the caller's transaction also holds the enrollment. */
  @Transactional
  public X509Certificate issueFirst(UUID deviceId, CertificateRequests.Checked request) {
    Instant now = ca.now();
    Duration lifetime = config.deviceCertificateLifetime();
    // backdated for devices whose clock runs a little behind, but never by a large share of a
    // short lifetime: agents renew after a share of notBefore..notAfter
    Duration backdate =
        FleetCa.BACKDATE.compareTo(lifetime.dividedBy(10)) < 0
            ? FleetCa.BACKDATE
            : lifetime.dividedBy(10);
    return issue(deviceId, request.key(), now.minus(backdate), now.plus(lifetime));
  }

  /** A renewal: a new key made by an already authenticated device. */
  @Transactional
  public X509Certificate renew(UUID deviceId, byte[] certificateRequest) {
    CertificateRequests.Checked request = CertificateRequests.check(certificateRequest);
    if (!request.commonName().isEmpty() && !request.commonName().equals(deviceId.toString())) {
      throw ApiError.INVALID_REQUEST.exception(
          "certificate_request names device '"
              + request.commonName()
              + "', but the calling certificate is device "
              + deviceId);
    }
    return issueFirst(deviceId, request);
  }

  /** Issues and records a certificate with the given validity (tests use past dates). */
  @Transactional
  X509Certificate issue(UUID deviceId, PublicKey key, Instant notBefore, Instant notAfter) {
    X509Certificate certificate =
        ca.issue(
            deviceId.toString(),
            key,
            notBefore,
            notAfter,
            new FleetCa.Profile(
                KeyPurposeId.id_kp_clientAuth,
                new GeneralNames(
                    new GeneralName(GeneralName.uniformResourceIdentifier, deviceUri(deviceId)))));
    DeviceCertificate row = new DeviceCertificate();
    row.serial = certificate.getSerialNumber().toString(16);
    row.deviceId = deviceId;
    row.fingerprintSha256 = fingerprint(certificate);
    row.notBefore = notBefore;
    row.notAfter = notAfter;
    row.issuedAt = ca.now();
    row.persist();
    return certificate;
  }

  /**
   * Which device presented {@code certificate}. The TLS handshake proved the client holds its
   * private key; this decides whether the fleet still trusts it. Read from the database on every
   * call, so a revocation committed on any replica counts on all of them at once.
   */
  @Transactional
  public Verdict check(X509Certificate certificate) {
    if (!ca.signed(certificate)) {
      return Verdict.refused("the client certificate was not issued by this fleet's CA");
    }
    Instant now = ca.now();
    if (now.isAfter(certificate.getNotAfter().toInstant())) {
      return Verdict.refused(
          "the client certificate expired at "
              + certificate.getNotAfter().toInstant()
              + "; the device must be enrolled again");
    }
    if (now.isBefore(certificate.getNotBefore().toInstant())) {
      return Verdict.refused(
          "the client certificate is not valid before "
              + certificate.getNotBefore().toInstant()
              + " (is the server's clock right?)");
    }
    DeviceCertificate row = DeviceCertificate.findById(certificate.getSerialNumber().toString(16));
    if (row == null || !row.fingerprintSha256.equals(fingerprint(certificate))) {
      return Verdict.refused("the client certificate is unknown to this server");
    }
    if (row.revokedAt != null) {
      return Verdict.refused(
          "the client certificate was revoked at "
              + row.revokedAt
              + " (the device was decommissioned); the device must be enrolled again");
    }
    Device device = Device.findById(row.deviceId);
    if (device == null || device.status == DeviceStatus.DECOMMISSIONED) {
      return Verdict.refused("the device was decommissioned; it must be enrolled again");
    }
    return new Verdict(row.deviceId, null);
  }

  /** Runs inside the decommissioning transaction: the device and its certificates go together. */
  void revoke(@Observes DeviceDecommissioned event) {
    revokeAll(event.deviceId());
  }

  /** Revokes every certificate the device holds, inside the caller's transaction. */
  @Transactional(Transactional.TxType.MANDATORY)
  void revokeAll(UUID deviceId) {
    DeviceCertificate.update(
        "revokedAt = ?1 where deviceId = ?2 and revokedAt is null", ca.now(), deviceId);
  }

  static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
