package dev.modelfleet.server.pki;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.jboss.logging.Logger;

/**
 * The server's TLS identity towards agents: one key and one certificate from the fleet CA, issued
 * afresh at every start, shared by the agent gRPC port and the HTTPS artifact port so that both
 * prove the same name, and the trust that asks agents for their device certificate.
 */
@ApplicationScoped
public class AgentServerIdentity {

  private static final Logger LOG = Logger.getLogger(AgentServerIdentity.class);

  private final AgentTlsConfig config;
  private final FleetCa ca;
  private volatile Issued issued;

  AgentServerIdentity(AgentTlsConfig config, FleetCa ca) {
    this.config = config;
    this.ca = ca;
  }

  private record Issued(KeyPair key, X509Certificate certificate) {}

  private Issued issued() {
    Issued current = issued;
    if (current == null) {
      synchronized (this) {
        if (issued == null) {
          issued = issue();
        }
        current = issued;
      }
    }
    return current;
  }

  private Issued issue() {
    List<String> names = serverNames();
    KeyPair key = FleetCa.newP256KeyPair();
    Instant now = ca.now();
    X509Certificate certificate =
        ca.issue(
            names.get(0),
            key.getPublic(),
            now.minus(FleetCa.BACKDATE),
            now.plus(config.serverCertificateLifetime()),
            new FleetCa.Profile(KeyPurposeId.id_kp_serverAuth, subjectAltNames(names)));
    LOG.infof(
        "agent TLS certificate for %s until %s", names, certificate.getNotAfter().toInstant());
    return new Issued(key, certificate);
  }

  /**
   * A Netty server context with this identity, asking for (not requiring) a client certificate: the
   * device's checks happen per call, so that a refusal carries its reason (see {@link
   * FleetClientTrust}).
   */
  public SslContextBuilder nettyServer() {
    Issued id = issued();
    return SslContextBuilder.forServer(id.key().getPrivate(), id.certificate(), ca.certificate())
        .trustManager(clientTrust())
        .clientAuth(ClientAuth.OPTIONAL);
  }

  /** This identity as a key manager factory (for Vert.x servers). */
  public KeyManagerFactory keyManagers() {
    Issued id = issued();
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

  List<String> serverNames() {
    Set<String> names = new LinkedHashSet<>();
    config
        .serverNames()
        .ifPresentOrElse(
            names::addAll,
            () -> {
              names.add("localhost");
              names.add("127.0.0.1");
              try {
                names.add(InetAddress.getLocalHost().getHostName());
              } catch (UnknownHostException e) {
                // no resolvable host name: agents use a configured name or localhost
              }
            });
    names.removeIf(String::isBlank);
    if (names.isEmpty()) {
      throw new IllegalStateException("modelfleet.agent-tls.server-names is empty");
    }
    return new ArrayList<>(names);
  }

  private static GeneralNames subjectAltNames(List<String> names) {
    return new GeneralNames(
        names.stream()
            .map(String::trim)
            .map(
                n ->
                    new GeneralName(
                        isIpLiteral(n) ? GeneralName.iPAddress : GeneralName.dNSName, n))
            .toArray(GeneralName[]::new));
  }

  private static boolean isIpLiteral(String name) {
    return name.matches("\\d{1,3}(\\.\\d{1,3}){3}") || name.contains(":");
  }
}
