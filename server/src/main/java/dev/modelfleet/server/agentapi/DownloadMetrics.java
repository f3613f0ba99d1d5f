package dev.modelfleet.server.agentapi;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Artifact downloads served to agents, by path ({@code http}: the sendfile endpoint, {@code https}:
 * the mutual-TLS port, {@code grpc}: FetchArtifact): {@code
 * modelfleet_artifact_bytes_served_total}, and downloads started, finished (the last byte went out)
 * and failed (cancelled by the agent, or the transfer broke).
 */
// created at start, so its series are scraped (at 0) before anything happened
@Startup
@ApplicationScoped
class DownloadMetrics {

  static final String HTTP = "http";
  static final String GRPC = "grpc";
  static final String HTTPS = "https";

  private final MeterRegistry registry;

  DownloadMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (String path : new String[] {HTTP, HTTPS, GRPC}) {
      bytes(path);
      downloads("started", path);
      downloads("finished", path);
      downloads("failed", path);
    }
  }

  void started(String path) {
    downloads("started", path).increment();
  }

  void bytesServed(String path, long bytes) {
    bytes(path).increment(bytes);
  }

  void ended(String path, boolean finished) {
    downloads(finished ? "finished" : "failed", path).increment();
  }

  private Counter bytes(String path) {
    return Counter.builder("modelfleet.artifact.served")
        .baseUnit("bytes")
        .description("Artifact bytes sent to agents")
        .tag("path", path)
        .register(registry);
  }

  private Counter downloads(String what, String path) {
    return Counter.builder("modelfleet.artifact.downloads." + what)
        .description("Artifact downloads " + what)
        .tag("path", path)
        .register(registry);
  }
}
