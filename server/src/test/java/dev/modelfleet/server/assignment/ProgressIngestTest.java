package dev.modelfleet.server.assignment;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
  @Inject ProgressIngest ingest;
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

  /**
   * A device reports "verifying" and then "active" while the queue is full (the writer waits for a
   * device row a heartbeat flush holds, say): "active" must not be written past "verifying", which
   * would then overwrite it and leave a serving device reported as verifying for good.
   */
  @Test
  void aDevicesReportsKeepTheirOrderWhenTheQueueIsFull() throws Exception {
    var published = Fixtures.publishedClassifier(85);
    UUID held = UUID.fromString(agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId());
    String reporting = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId();
    AgroalDataSource db = Arc.container().instance(AgroalDataSource.class).get();
    ExecutorService stream = Executors.newSingleThreadExecutor();
    try {
      Future<?> active;
      try (Connection holder = db.getConnection()) {
        holder.setAutoCommit(false);
        try (PreparedStatement lock =
            holder.prepareStatement("select id from devices where id = ? for no key update")) {
          lock.setObject(1, held);
          lock.executeQuery().close();
        }
        ingest.submit(
            held, report(published, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, 0), e -> {});
        Eventually.until(
            "the writer waits for the held device's row",
            () ->
                Db.number(
                        "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                            + " and query like '%from devices where id in%'")
                    > 0);
        for (int i = 1; i < ProgressIngest.CAPACITY; i++) {
          ingest.submit(
              held, report(published, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, i), e -> {});
        }
        ingest.submit(
            UUID.fromString(reporting),
            report(published, DeploymentState.DEPLOYMENT_STATE_VERIFYING, 0),
            e -> {});
        // the queue is full now: the device's stream sends its next report
        active =
            stream.submit(
                () ->
                    ingest.submit(
                        UUID.fromString(reporting),
                        report(published, DeploymentState.DEPLOYMENT_STATE_ACTIVE, 0),
                        e -> {}));
        Thread.sleep(500); // the stream's report meets the full queue
        holder.commit();
      }
      active.get(ProgressIngest.FULL_WAIT.toSeconds(), TimeUnit.SECONDS);
      String path = "/api/v1/devices/" + held;
      Eventually.until(
          "the held device's reports are all written",
          Duration.ofSeconds(60),
          () ->
              admin().get(path).jsonPath().getLong("deployments[0].bytesDone")
                  == ProgressIngest.CAPACITY - 1);
      Eventually.until(
          "the reporting device's last report is written",
          () ->
              !admin()
                  .get("/api/v1/devices/" + reporting)
                  .jsonPath()
                  .getList("deployments")
                  .isEmpty());
      assertEquals(
          "active",
          admin().get("/api/v1/devices/" + reporting).path("deployments[0].state"),
          "its last report stands: "
              + admin().get("/api/v1/devices/" + reporting + "/history").asString());
    } finally {
      stream.shutdownNow();
    }
  }

  private static DeploymentProgress report(
      Fixtures.Published published, DeploymentState state, long bytes) {
    return DeploymentProgress.newBuilder()
        .setModel(published.model())
        .setVersion(published.version())
        .setVariantId(published.variantId())
        .setGeneration(1)
        .setState(state)
        .setBytesDone(bytes)
        .setBytesTotal(ProgressIngest.CAPACITY)
        .build();
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
