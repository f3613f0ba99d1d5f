package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16: devices that the server refuses at enrollment (here its per-address rate limit, as in
 * the ingest benchmark's enrollment burst) are retried with backoff and jitter until they are in,
 * every refused attempt is counted by reason in the simulator, and the server logs the refusals.
 */
class SimulatedFleetEnrollmentRetryTest {

  private static final int DEVICES = 16;

  @RegisterExtension static final RunningFleet running = RunningFleet.plaintextAgents();

  @Test
  @Timeout(240)
  void aRateLimitedEnrollmentBurstIsRetriedUntilEveryDeviceIsIn() throws Exception {
    try (ServerProcess strict =
        running
            .server()
            .replica(
                "strict-enrollment",
                Map.of(
                    "MODELFLEET_ENROLLMENT_RATE_PER_SECOND", "2",
                    "MODELFLEET_ENROLLMENT_BURST", "2"))) {
      String run = UUID.randomUUID().toString().substring(0, 8);
      JsonNode token =
          running
              .fleet()
              .admin()
              .post(
                  "/api/v1/enrollment-tokens",
                  Map.of(
                      "name",
                      "sim-retry-" + run,
                      "labels",
                      Map.of("sim-retry", run),
                      "maxUses",
                      DEVICES,
                      "expiresInSeconds",
                      3600));
      SimulatorOptions options =
          SimulatorOptions.parse(
              "--server", strict.grpcTarget(),
              "--token", token.path("token").asText(),
              "--devices", Integer.toString(DEVICES),
              "--heartbeat-millis", "1000",
              "--root-key", running.workDir().resolve("root.pub.pem").toString(),
              "--name-prefix", "sim-retry-" + run);

      try (SimulatedFleet tool = SimulatedFleet.start(options, System.err)) {
        FleetSnapshot done =
            Waits.until(
                DEVICES + " devices connected",
                Duration.ofSeconds(180),
                () -> {
                  FleetSnapshot now = tool.snapshot();
                  return now.connected() == DEVICES ? now : null;
                });
        assertEquals(0, done.enrollFailed(), done.enrollFailures());
        assertEquals(DEVICES, done.enrolled());
        assertTrue(
            done.enrollAttemptsFailed().getOrDefault("RESOURCE_EXHAUSTED", 0L) > 0,
            "the burst met the rate limit, and each refused attempt was counted: "
                + done.enrollAttemptsFailed());
        assertTrue(done.enrollFailures().contains("RESOURCE_EXHAUSTED"), done.enrollFailures());
      }
      String log = Files.readString(strict.log());
      assertTrue(
          log.contains("enrollment refused (rate-limited)"),
          "the server logs its refusals: " + strict.logTail(20));
    }
  }
}
