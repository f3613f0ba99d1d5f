package dev.modelfleet.server.pki;

import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * This server's own TLS certificates, issued by the fleet CA for the names clients dial ({@code
 * modelfleet.agent-tls.server-names}): the agent port's, and the admin port's when it asks for one
 * ({@link FleetCaAdminCertificate}). Each is issued afresh with a new key at every start, so none
 * is ever written to disk.
 */
@ApplicationScoped
class ServerCertificates {

  /** A server certificate, the key it certifies and the names it holds. */
  record Issued(KeyPair key, X509Certificate certificate, List<String> names) {}

  private final AgentTlsConfig config;
  private final FleetCa ca;

  ServerCertificates(AgentTlsConfig config, FleetCa ca) {
    this.config = config;
    this.ca = ca;
  }

  Issued issue() {
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
    return new Issued(key, certificate, names);
  }

  FleetCa ca() {
    return ca;
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
