package dev.modelfleet.server.assignment;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Deployment reports are written in batches by one thread: every report of many devices sending at
 * once is recorded, each device's in the order it sent them, and one that cannot be attached to a
 * device does not cost the others theirs.
 */
@QuarkusTest
class ProgressIngestTest {

  private static final int REPORTS_PER_DEVICE = 120;

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
  void manyDevicesReportingAtOnceAreAllRecordedInTheOrderEachSent() throws Exception {
    var published = Fixtures.publishedClassifier(83);
    List<String> devices = new ArrayList<>();
    List<SyncStream> streams = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
      SyncStream stream = agent.sync(device.getDeviceCredential());
      stream.hello();
      devices.add(device.getDeviceId());
      streams.add(stream);
    }
    // interleaved, as a wave's devices report: downloading byte by byte, then active, each device
    for (int n = 1; n <= REPORTS_PER_DEVICE; n++) {
      for (SyncStream stream : streams) {
        boolean last = n == REPORTS_PER_DEVICE;
        stream.send(
            AgentMessage.newBuilder()
                .setProgress(
                    DeploymentProgress.newBuilder()
                        .setModel(published.model())
                        .setVersion(published.version())
                        .setVariantId(published.variantId())
                        .setGeneration(1)
                        .setState(
                            last
                                ? DeploymentState.DEPLOYMENT_STATE_ACTIVE
                                : DeploymentState.DEPLOYMENT_STATE_DOWNLOADING)
                        .setBytesDone(n)
                        .setBytesTotal(REPORTS_PER_DEVICE))
                .build());
      }
    }

    for (String device : devices) {
      String path = "/api/v1/devices/" + device;
      Eventually.until(
          "device " + device + "'s last report is recorded",
          () -> "active".equals(admin().get(path).path("deployments[0].state")));
      JsonPath status = admin().get(path).jsonPath();
      assertEquals(REPORTS_PER_DEVICE, status.getLong("deployments[0].bytesDone"));
      JsonPath history = admin().get(path + "/history").jsonPath();
      assertEquals(
          List.of("active"),
          history.getList("kind"),
          "one history line per change of state, not per report");
    }
    for (SyncStream stream : streams) {
      stream.cancel();
    }
  }

  @Test
  void aReportOfAnUnknownDeviceInABatchCostsTheOthersNothing() throws Exception {
    var published = Fixtures.publishedClassifier(84);
    EnrollResponse known = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    DeploymentProgress active =
        DeploymentProgress.newBuilder()
            .setModel(published.model())
            .setVersion(published.version())
            .setVariantId(published.variantId())
            .setGeneration(1)
            .setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
            .build();

    deployments.recordProgress(
        List.of(
            new ProgressReport(UUID.randomUUID(), active),
            new ProgressReport(UUID.fromString(known.getDeviceId()), active)));

    assertEquals(
        "active",
        admin().get("/api/v1/devices/" + known.getDeviceId()).path("deployments[0].state"));
  }
}
