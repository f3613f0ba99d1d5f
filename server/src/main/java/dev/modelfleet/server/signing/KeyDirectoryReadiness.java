package dev.modelfleet.server.signing;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.server.common.ModelFleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while this replica can sign: the key directory reads, and it holds as many of the
 * targets and director keys as the current root metadata requires. A replica that cannot sign
 * cannot publish a variant or assign a model, so the load balancer should skip it.
 */
@Readiness
@ApplicationScoped
class KeyDirectoryReadiness implements HealthCheck {

  private final RootMetadataChain roots;
  private final SigningKeys keys;
  private final ModelFleetConfig config;

  KeyDirectoryReadiness(RootMetadataChain roots, SigningKeys keys, ModelFleetConfig config) {
    this.roots = roots;
    this.keys = keys;
    this.config = config;
  }

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder response =
        HealthCheckResponse.named("key directory").withData("path", config.keyDir().toString());
    try {
      keys.reload(); // the files now, not what was read at start
    } catch (UncheckedIOException e) {
      return response.down().withData("error", e.getCause().getMessage()).build();
    }
    RootMetadata current = roots.currentMetadata();
    for (String role : new String[] {Dsse.ROLE_TARGETS, Dsse.ROLE_DIRECTOR}) {
      var keyIds = RootRoles.role(current, role).map(r -> r.getKeyIdsList()).orElse(null);
      if (keyIds == null) {
        continue; // no director role: desired states are signed by targets
      }
      int needed = Math.max(1, RootRoles.role(current, role).get().getThreshold());
      int held = keys.held(keyIds).size();
      if (held < needed) {
        return response
            .down()
            .withData(
                "error",
                "holds " + held + " of the " + needed + " " + role + " key(s) root metadata needs")
            .build();
      }
    }
    return response.up().build();
  }
}
