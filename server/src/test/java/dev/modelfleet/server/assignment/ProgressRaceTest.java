package dev.modelfleet.server.assignment;

import static dev.modelfleet.server.support.Api.adminJson;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A device's first progress report for a model and an assignment of it, at the same time. */
@QuarkusTest
class ProgressRaceTest {

  @Inject DeploymentService deployments;
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
  void assignmentWaitsForAConcurrentFirstProgressReport() throws Exception {
    UUID device =
        UUID.fromString(agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId());
    var published = Fixtures.publishedClassifier(81);

    CompletableFuture<Integer> assignment =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  // the report creates the model's status row, not committed yet ...
                  deployments.recordProgress(
                      device,
                      DeploymentProgress.newBuilder()
                          .setModel(published.model())
                          .setVersion(published.version())
                          .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
                          .setReason("disk full")
                          .build());
                  // ... when an assignment of that model arrives
                  CompletableFuture<Integer> started =
                      CompletableFuture.supplyAsync(
                          () ->
                              adminJson()
                                  .body(Map.of("deviceId", device.toString()))
                                  .post(
                                      "/api/v1/models/"
                                          + published.model()
                                          + "/versions/1.0.0/assignments")
                                  .then()
                                  .extract()
                                  .statusCode());
                  Thread.sleep(1500);
                  return started;
                });

    assertEquals(200, assignment.get());
  }
}
