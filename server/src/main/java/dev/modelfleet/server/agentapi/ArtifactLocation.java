package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.server.common.ModelFleetConfig;
import dev.modelfleet.server.pki.AgentTlsConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.HttpServer;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Tells agents where to download artifacts over HTTP: the configured base URL (a CDN, or this
 * server as devices reach it), else this server's actual HTTP port, which the agent combines with
 * the host it already reaches the server by. With mutual TLS only an https base URL is announced,
 * and the port of this server's HTTPS artifact path (see docs/security.md).
 */
@ApplicationScoped
class ArtifactLocation {

  private final ModelFleetConfig config;
  private final ValueRegistry registry;
  private final AgentTlsConfig tls;

  private final ArtifactHttpsServer https;

  ArtifactLocation(
      ModelFleetConfig config,
      ValueRegistry registry,
      AgentTlsConfig tls,
      ArtifactHttpsServer https) {
    this.config = config;
    this.https = https;
    this.registry = registry;
    this.tls = tls;
  }

  SyncConfig.Builder describe(SyncConfig.Builder syncConfig) {
    if (tls.mutual()) {
      // Model bytes stay encrypted: an https address the operator configured (a CDN, or a
      // TLS-terminating proxy), else this server's HTTPS artifact port, else FetchArtifact.
      return syncConfig
          .setArtifactBaseUrl(
              config.artifactBaseUrl().filter(u -> u.startsWith("https://")).orElse(""))
          .setHttpPort(0)
          .setHttpsPort(https.port());
    }
    return syncConfig
        .setArtifactBaseUrl(config.artifactBaseUrl().orElse(""))
        .setHttpPort(httpPort());
  }

  private int httpPort() {
    Integer port =
        registry.get(
            LaunchMode.current() == LaunchMode.TEST
                ? HttpServer.HTTP_TEST_PORT
                : HttpServer.HTTP_PORT);
    return port == null ? 0 : port;
  }
}
