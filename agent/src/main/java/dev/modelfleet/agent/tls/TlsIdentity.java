package dev.modelfleet.agent.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/** This device's TLS key and the certificate the fleet CA issued for it. */
public record TlsIdentity(PrivateKey key, X509Certificate certificate) {

  public Instant notAfter() {
    return certificate.getNotAfter().toInstant();
  }

  /** When to renew: after {@code percent} of the certificate's lifetime. */
  public Instant renewAt(int percent) {
    Instant notBefore = certificate.getNotBefore().toInstant();
    Duration lifetime = Duration.between(notBefore, notAfter());
    return notBefore.plus(lifetime.multipliedBy(percent).dividedBy(100));
  }
}
