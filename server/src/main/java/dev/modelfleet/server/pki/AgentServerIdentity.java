package dev.modelfleet.server.pki;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jboss.logging.Logger;

/**
 * The server's TLS identity towards agents: one key and one certificate from the fleet CA ({@link
 * ServerCertificates}), issued afresh at every start, shared by the agent gRPC port and the HTTPS
 * artifact port so that both prove the same name, and the trust that asks agents for their device
 * certificate.
 */
@ApplicationScoped
public class AgentServerIdentity {

  private static final Logger LOG = Logger.getLogger(AgentServerIdentity.class);

  private final ServerCertificates certificates;
  private final FleetCa ca;
  private volatile ServerCertificates.Issued issued;

  AgentServerIdentity(ServerCertificates certificates) {
    this.certificates = certificates;
    this.ca = certificates.ca();
  }

  private ServerCertificates.Issued issued() {
    ServerCertificates.Issued current = issued;
    if (current == null) {
      synchronized (this) {
        if (issued == null) {
          issued = certificates.issue();
          LOG.infof(
              "agent TLS certificate for %s until %s",
              issued.names(), issued.certificate().getNotAfter().toInstant());
        }
        current = issued;
      }
    }
    return current;
  }

  /**
   * A Netty server context with this identity, asking for (not requiring) a client certificate: the
   * device's checks happen per call, so that a refusal carries its reason (see {@link
   * FleetClientTrust}).
   */
  public SslContextBuilder nettyServer() {
    ServerCertificates.Issued id = issued();
    return SslContextBuilder.forServer(id.key().getPrivate(), id.certificate(), ca.certificate())
        .trustManager(clientTrust())
        .clientAuth(ClientAuth.OPTIONAL);
  }

  /** This identity as a key manager factory (for Vert.x servers). */
  public KeyManagerFactory keyManagers() {
    ServerCertificates.Issued id = issued();
    try {
      char[] password = new char[0];
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "agent-server",
          id.key().getPrivate(),
          password,
          new X509Certificate[] {id.certificate(), ca.certificate()});
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, password);
      return factory;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot hold the agent TLS key: " + e.getMessage(), e);
    }
  }

  /**
   * Lets any client certificate through the handshake; {@link DeviceCertificates#check} decides.
   */
  public X509ExtendedTrustManager clientTrust() {
    return new FleetClientTrust(ca.certificate());
  }
}
