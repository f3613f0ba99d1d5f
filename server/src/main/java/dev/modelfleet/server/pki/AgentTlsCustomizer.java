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
import javax.net.ssl.SSLException;
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
  private final ServerCertificates certificates;

  AgentTlsCustomizer(AgentTlsConfig config, FleetCa ca, ServerCertificates certificates) {
    this.config = config;
    this.ca = ca;
    this.certificates = certificates;
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
    ServerCertificates.Issued issued = certificates.issue();
    try {
      SslContext context =
          GrpcSslContexts.configure(
                  SslContextBuilder.forServer(
                      issued.key().getPrivate(), issued.certificate(), ca.certificate()))
              .trustManager(new FleetClientTrust(ca.certificate()))
              .clientAuth(ClientAuth.OPTIONAL)
              .build();
      LOG.infof(
          "agent gRPC port uses mutual TLS; server certificate for %s until %s",
          issued.names(), issued.certificate().getNotAfter().toInstant());
      return context;
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for the agent port: " + e.getMessage(), e);
    }
  }
}
