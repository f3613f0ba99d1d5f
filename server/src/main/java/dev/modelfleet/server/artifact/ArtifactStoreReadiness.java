package dev.modelfleet.server.artifact;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the artifact store takes an upload: stages (and drops) an empty one through the
 * store's own API, so a full, read-only or unmounted volume shows before an operator's upload
 * fails.
 */
@Readiness
@ApplicationScoped
class ArtifactStoreReadiness implements HealthCheck {

  private final ArtifactStore store;

  ArtifactStoreReadiness(ArtifactStore store) {
    this.store = store;
  }

  @Override
  public HealthCheckResponse call() {
    try {
      store.discard(store.stage(new ByteArrayInputStream(new byte[0])));
      return HealthCheckResponse.up("artifact store");
    } catch (IOException | RuntimeException e) {
      return HealthCheckResponse.named("artifact store")
          .down()
          .withData("error", String.valueOf(e.getMessage()))
          .build();
    }
  }
}
