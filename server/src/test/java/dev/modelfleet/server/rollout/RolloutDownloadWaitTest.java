package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A device whose download policy holds the download back reports it (waiting_window, with the
 * instant its window opens): the rollout view shows it waiting, and the wave's timeout counts from
 * the opening, not from when the device was told.
 */
@QuarkusTest
class RolloutDownloadWaitTest {

  private static final int TIMEOUT_SECONDS = 2;
  private static final long WINDOW_OPENS_IN_MS = 7_000;

  @Test
  void a_device_waiting_for_its_window_times_out_only_after_the_window_opened() throws Exception {
    try (RolloutFixture f = new RolloutFixture(901);
        AgentClient agent = new AgentClient()) {
      var enrolled = agent.enroll(Fixtures.enrollmentToken(Map.of("site", f.site), 1));
      AgentClient.SyncStream stream = agent.sync(enrolled.getDeviceCredential());
      stream.hello(
          Profiles.profile(
                  "cpu-window-" + f.site,
                  "x86_64",
                  List.of("avx2"),
                  List.of("cpu"),
                  8 * Profiles.GIB)
              .build());
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      Map.of(
                          "successThreshold", 100,
                          "failureThreshold", 100,
                          "soakSeconds", 0,
                          "timeoutSeconds", TIMEOUT_SECONDS,
                          "onTimeout", "skipped"),
                      "waves",
                      List.of(Map.of("percent", 100))))
              .getString("id");
      DesiredState desired = nextDesiredState(stream);
      DesiredModel model = desired.getModels(0);
      long toldAt = System.currentTimeMillis();
      long opensAt = toldAt + WINDOW_OPENS_IN_MS;
      stream.send(
          AgentMessage.newBuilder()
              .setProgress(
                  DeploymentProgress.newBuilder()
                      .setModel(model.getModel())
                      .setVersion(model.getVersion())
                      .setVariantId(
                          VariantManifest.parseFrom(model.getManifest().getPayload())
                              .getVariantId())
                      .setGeneration(desired.getGeneration())
                      .setState(DeploymentState.DEPLOYMENT_STATE_PENDING)
                      .setReasonCode("waiting_window")
                      .setReason("outside the download windows of policy night")
                      .setWaitingUntilMs(opensAt))
              .build());

      Eventually.within(
          Duration.ofSeconds(10),
          () -> assertEquals("waiting_window", deviceState(id), "the view shows the wait"));
      // well past the timeout counted from when it was told, still before the window opens
      Thread.sleep(
          Math.max(0, toldAt + (TIMEOUT_SECONDS + 3) * 1000L - System.currentTimeMillis()));
      assertTrue(System.currentTimeMillis() < opensAt, "the test ran too slowly to tell");
      assertEquals("waiting_window", deviceState(id), "not timed out while its window is closed");
      assertEquals("running", RolloutFixture.get(id).getString("state"));

      JsonPath done = awaitState(id, "completed");
      assertTrue(
          System.currentTimeMillis() >= opensAt + TIMEOUT_SECONDS * 1000L,
          "timed out only after the opening plus the timeout");
      assertEquals(1, done.getInt("totals.byState.skipped"));
      assertTrue(
          done.getString("problems[0].reason").contains("download window or budget opening at"),
          done.getString("problems[0].reason"));
      stream.cancel();
    }
  }

  private static DesiredState nextDesiredState(AgentClient.SyncStream stream) throws Exception {
    while (true) {
      ServerMessage message = stream.next();
      if (message.hasDesiredState()) {
        return DesiredState.parseFrom(message.getDesiredState().getPayload());
      }
    }
  }

  private static String deviceState(String rolloutId) {
    return admin()
        .get("/api/v1/rollouts/" + rolloutId + "/devices")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getString("[0].state");
  }
}
