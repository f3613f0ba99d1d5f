package dev.modelfleet.server.pki;

import dev.modelfleet.server.enrollment.EnrollmentService.Enrolled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.security.GeneralSecurityException;
import java.util.function.Supplier;

/**
 * Enrollment with a device certificate, in one transaction: a request that fails its checks is
 * refused before the token is touched, and a device never exists without the certificate it asked
 * for. A retried enrollment gets a certificate for its own request, and the one issued before is
 * revoked.
 */
@ApplicationScoped
public class CertifiedEnrollment {

  public record Certified(Enrolled enrolled, byte[] deviceCertificate, byte[] caCertificate) {}

  private final DeviceCertificates certificates;
  private final FleetCa ca;

  CertifiedEnrollment(DeviceCertificates certificates, FleetCa ca) {
    this.certificates = certificates;
    this.ca = ca;
  }

  @Transactional
  public Certified enroll(byte[] certificateRequest, Supplier<Enrolled> enrollment) {
    CertificateRequests.Checked request = CertificateRequests.check(certificateRequest);
    Enrolled enrolled = enrollment.get();
    if (enrolled.retried()) {
      // the certificate issued for the lost reply never reached the device: only the new one is
      // valid, as only the new credential is
      certificates.revokeAll(enrolled.deviceId());
    }
    try {
      return new Certified(
          enrolled,
          certificates.issueFirst(enrolled.deviceId(), request).getEncoded(),
          ca.certificate().getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
