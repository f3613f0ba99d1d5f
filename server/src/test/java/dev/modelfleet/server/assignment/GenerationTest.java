package dev.modelfleet.server.assignment;

import static dev.modelfleet.server.support.Api.adminJson;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Generations only grow, also when a re-sign on reconnect races an assignment. */
@QuarkusTest
class GenerationTest {

  @Inject DesiredStateService desiredStates;
  @Inject AgroalDataSource dataSource;
  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void refreshAfterAConcurrentAssignmentSignsANewerGeneration() throws Exception {
    UUID device =
        UUID.fromString(agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId());
    var published = Fixtures.publishedClassifier(31);
    assign(published, device);
    // the document is past half its lifetime, so the next reconnect re-signs it
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "update device_desired_states set expires_at = now() where device_id = ?")) {
      s.setObject(1, device);
      s.executeUpdate();
    }

    SignedEnvelope refreshed =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  // a reconnect reads the row ...
                  DeviceDesiredState.findById(device);
                  // ... while an assignment commits generation 2 in another transaction ...
                  CompletableFuture.runAsync(() -> assign(published, device)).get();
                  assigned[0] = storedDocument(device);
                  // ... and then re-signs
                  return desiredStates.currentFor(device).orElseThrow();
                });

    // the fresh generation 2 is sent as it is; signing another, different generation 2 (or
    // anything not newer) would be refused by the agent as a replay
    assertEquals(2, DesiredState.parseFrom(refreshed.getPayload()).getGeneration());
    assertEquals(SignedEnvelope.parseFrom(assigned[0]), refreshed);
    assertEquals(
        SignedEnvelope.parseFrom(assigned[0]), SignedEnvelope.parseFrom(storedDocument(device)));
  }

  private final byte[][] assigned = new byte[1][];

  private byte[] storedDocument(UUID device) throws java.sql.SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement("select document from device_desired_states where device_id = ?")) {
      s.setObject(1, device);
      try (var r = s.executeQuery()) {
        r.next();
        return r.getBytes(1);
      }
    }
  }

  private static void assign(Fixtures.Published published, UUID device) {
    adminJson()
        .body(Map.of("deviceId", device.toString()))
        .post(
            "/api/v1/models/"
                + published.model()
                + "/versions/"
                + published.version()
                + "/assignments")
        .then()
        .statusCode(200);
  }
}
