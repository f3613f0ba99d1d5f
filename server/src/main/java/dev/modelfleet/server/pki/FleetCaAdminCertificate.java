package dev.modelfleet.server.pki;

import io.quarkus.tls.runtime.KeyStoreAndKeyCertOptions;
import io.quarkus.tls.runtime.KeyStoreProvider;
import io.smallrye.common.annotation.Identifier;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.GeneralSecurityException;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The TLS configuration {@value #NAME}: a certificate for the admin port issued by the fleet CA at
 * start, for the same names as the agent port's. Used when the operator sets {@code
 * QUARKUS_HTTP_TLS_CONFIGURATION_NAME=fleet-ca} (docs/operations.md, "TLS on the admin port");
 * clients then trust fleet-ca.pem, which they can fetch once and pin.
 *
 * <p>Quarkus' TLS registry calls this at every start whether or not the HTTP server uses it; a
 * certificate nobody serves costs one EC key pair and is forgotten.
 */
@ApplicationScoped
@Identifier(FleetCaAdminCertificate.NAME)
public class FleetCaAdminCertificate implements KeyStoreProvider {

  static final String NAME = "fleet-ca";
  private static final Logger LOG = Logger.getLogger(FleetCaAdminCertificate.class);

  private final ServerCertificates certificates;
  private final Optional<String> httpTlsConfiguration;

  FleetCaAdminCertificate(
      ServerCertificates certificates,
      @ConfigProperty(name = "quarkus.http.tls-configuration-name")
          Optional<String> httpTlsConfiguration) {
    this.certificates = certificates;
    this.httpTlsConfiguration = httpTlsConfiguration;
  }

  @Override
  public KeyStoreAndKeyCertOptions getKeyStore(Vertx vertx) {
    ServerCertificates.Issued issued = certificates.issue();
    try {
      PemKeyCertOptions options =
          new PemKeyCertOptions()
              .addCertValue(
                  Buffer.buffer(
                      Pem.encode("CERTIFICATE", issued.certificate().getEncoded())
                          + certificates.ca().certificatePem()))
              .addKeyValue(
                  Buffer.buffer(Pem.encode("PRIVATE KEY", issued.key().getPrivate().getEncoded())));
      KeyStoreAndKeyCertOptions store =
          new KeyStoreAndKeyCertOptions(options.loadKeyStore(vertx), options);
      if (httpTlsConfiguration.filter(NAME::equals).isPresent()) {
        LOG.infof(
            "admin port HTTPS certificate from the fleet CA for %s until %s",
            issued.names(), issued.certificate().getNotAfter().toInstant());
      }
      return store;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue the admin port's certificate: " + e, e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot load the admin port's certificate: " + e.getMessage(), e);
    }
  }
}
