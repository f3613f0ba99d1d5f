package dev.modelfleet.server.agentapi;

import dev.modelfleet.agent.v1.SyncConfig;
import dev.modelfleet.server.common.ModelFleetConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.HttpServer;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Tells agents where to download artifacts over HTTP: the configured base URL (a CDN, or this
 * server as devices reach it), else this server's actual HTTP port, which the agent combines
 * with the host it already reaches the server by.
 */
@ApplicationScoped
class ArtifactLocation {

  private final ModelFleetConfig config;
  private final ValueRegistry registry;

  ArtifactLocation(ModelFleetConfig config, ValueRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  SyncConfig.Builder describe(SyncConfig.Builder syncConfig) {
    return syncConfig.setArtifactBaseUrl(config.artifactBaseUrl().orElse("")).setHttpPort(httpPort());
  }

  private int httpPort() {
    Integer port = registry.get(
        LaunchMode.current() == LaunchMode.TEST ? HttpServer.HTTP_TEST_PORT : HttpServer.HTTP_PORT);
    return port == null ? 0 : port;
  }
}
