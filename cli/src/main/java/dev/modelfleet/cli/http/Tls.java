package dev.modelfleet.cli.http;

import dev.modelfleet.cli.CliException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS trust for a server with a private CA: exactly the CA certificates given, nothing else. */
public final class Tls {

  private Tls() {}

  /**
   * An SSL context trusting only the certificates in {@code pem} (one or more PEM blocks). Host
   * names are still checked against the server's certificate by the HTTP client.
   */
  public static SSLContext trusting(String pem, String source) {
    try {
      Collection<? extends Certificate> certificates =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
      if (certificates.isEmpty()) {
        throw noCertificate(source, null);
      }
      KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
      trusted.load(null, null);
      int i = 0;
      for (Certificate certificate : certificates) {
        trusted.setCertificateEntry("ca-" + i++, certificate);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw noCertificate(source, e);
    }
  }

  private static CliException noCertificate(String source, Exception cause) {
    return new CliException(
        dev.modelfleet.cli.ExitCode.USAGE,
        "the CA file "
            + source
            + " holds no PEM certificate"
            + (cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")"),
        "pass the CA certificate that signed the server's certificate, as PEM"
            + " (-----BEGIN CERTIFICATE-----)",
        cause);
  }
}
