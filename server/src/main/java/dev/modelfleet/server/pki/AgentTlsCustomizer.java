package dev.modelfleet.server.pki;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.quarkus.arc.Unremovable;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
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
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.jboss.logging.Logger;

/**
 * Puts TLS with optional client certificates on the agent gRPC port when {@code
 * modelfleet.agent-tls.mode=mutual}. Optional, because Enroll comes before the device has a
 * certificate; every other call is refused without one by the device interceptor.
 *
 * <p>The port is Quarkus's separate gRPC server (a Vert.x-managed Netty server). Quarkus's own TLS
 * settings stay unset, so Vert.x leaves the Netty builder's SSL context alone and this one, built
 * from the fleet CA in memory, is used.
 */
@ApplicationScoped
@Unremovable
public class AgentTlsCustomizer implements ServerBuilderCustomizer<VertxServerBuilder> {

  private static final Logger LOG = Logger.getLogger(AgentTlsCustomizer.class);

  private final AgentTlsConfig config;
  private final FleetCa ca;

  AgentTlsCustomizer(AgentTlsConfig config, FleetCa ca) {
    this.config = config;
    this.ca = ca;
  }

  @Override
  public void customize(GrpcServerConfiguration grpc, VertxServerBuilder builder) {
    if (!config.mutual()) {
      LOG.warn(
          "agent gRPC port runs WITHOUT TLS (modelfleet.agent-tls.mode=off): device traffic"
              + " and model bytes travel in plaintext");
      return;
    }
    builder.nettyBuilder().sslContext(sslContext());
  }

  private SslContext sslContext() {
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
    try {
      SslContext context =
          GrpcSslContexts.configure(
                  SslContextBuilder.forServer(key.getPrivate(), certificate, ca.certificate()))
              .trustManager(new FleetClientTrust(ca.certificate()))
              .clientAuth(ClientAuth.OPTIONAL)
              .build();
      LOG.infof(
          "agent gRPC port uses mutual TLS; server certificate for %s until %s",
          names, certificate.getNotAfter().toInstant());
      return context;
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for the agent port: " + e.getMessage(), e);
    }
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
