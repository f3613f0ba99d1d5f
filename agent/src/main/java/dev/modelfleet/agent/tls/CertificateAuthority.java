package dev.modelfleet.agent.tls;

/**
 * Where a renewed device certificate comes from: the control plane's RenewCertificate,
 * authenticated by the current certificate ({@code transport.grpc} implements it).
 */
@FunctionalInterface
public interface CertificateAuthority {

  /**
   * Returns the certificate (DER) for a certificate request (DER, PKCS#10).
   *
   * @throws Refused when the control plane no longer accepts this device: no retry helps
   * @throws Unavailable when this attempt failed and a later one may not
   */
  byte[] renew(byte[] certificateRequest) throws Refused, Unavailable;

  /** The control plane refuses this device's renewal: it must be enrolled again. */
  final class Refused extends Exception {
    public Refused(String message) {
      super(message);
    }
  }

  /** This renewal failed (server unreachable, timed out): worth another try. */
  final class Unavailable extends Exception {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
