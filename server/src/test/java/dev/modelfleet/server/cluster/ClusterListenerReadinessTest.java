package dev.modelfleet.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/** A replica whose LISTEN connection is not up is not ready (ReadinessTest covers the rest). */
class ClusterListenerReadinessTest {

  @Test
  void notListeningIsNotReady() {
    ClusterListener listener =
        new ClusterListener(
            null,
            null,
            "jdbc:postgresql://127.0.0.1:1/none",
            Optional.empty(),
            Optional.empty(),
            new SimpleMeterRegistry());
    HealthCheckResponse response = new ClusterListenerReadiness(listener).call();
    assertEquals(HealthCheckResponse.Status.DOWN, response.getStatus());
  }
}
