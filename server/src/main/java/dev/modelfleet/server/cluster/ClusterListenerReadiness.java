package dev.modelfleet.server.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the LISTEN connection receives notices: without it, changes made on other
 * replicas reach this replica's devices late (after it reconnects and catches up).
 */
@Readiness
@ApplicationScoped
class ClusterListenerReadiness implements HealthCheck {

  private final ClusterListener listener;

  ClusterListenerReadiness(ClusterListener listener) {
    this.listener = listener;
  }

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("cluster listener")
        .status(listener.listening())
        .withData("backend-pid", listener.backendPid())
        .build();
  }
}
