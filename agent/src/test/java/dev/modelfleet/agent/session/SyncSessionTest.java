package dev.modelfleet.agent.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.Eventually;
import dev.modelfleet.agent.testing.InMemoryControlPlane;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device's session rules, with the control plane played in memory: no transport, no runtime.
 * What the Sync stream's statuses mean is SyncSessionOverGrpcTest's.
 */
class SyncSessionTest {

  @TempDir Path dir;
  final InMemoryControlPlane plane = new InMemoryControlPlane();
  final List<SignedEnvelope> applied = new CopyOnWriteArrayList<>();
  final ExecutorService waiter = Executors.newSingleThreadExecutor();
  SyncSession.DesiredStateHandler handler = applied::add;
  SyncSession session;

  SyncSession session() throws Exception {
    session =
        new SyncSession(
            plane,
            new DeviceReports(
                HardwareProfile::getDefaultInstance,
                new StateStore(dir),
                new ModelRegistry(),
                () -> 1),
            state -> handler.apply(state),
            new Backoff(10, 100));
    return session;
  }

  @AfterEach
  void close() {
    if (session != null) {
      session.close();
    }
    waiter.shutdownNow();
  }

  static SignedEnvelope desired(int generation) {
    return SignedEnvelope.newBuilder()
        .setPayload(ByteString.copyFromUtf8("#" + generation))
        .build();
  }

  @Test
  void onlyTheNewestOfTheDesiredStatesThatArriveDuringAnApplyIsAppliedNext() throws Exception {
    CountDownLatch applying = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    handler =
        state -> {
          applied.add(state);
          if (applied.size() == 1) {
            applying.countDown();
            release.await();
          }
        };
    session().start();
    assertNotNull(plane.hellos.poll(5, TimeUnit.SECONDS));
    plane.inbound().desiredState(desired(1));
    assertTrue(applying.await(5, TimeUnit.SECONDS));
    for (int generation = 2; generation <= 5; generation++) {
      plane.inbound().desiredState(desired(generation));
    }
    release.countDown();
    Eventually.within(
        Duration.ofSeconds(5), () -> assertEquals(List.of(desired(1), desired(5)), applied));
  }

  @Test
  void aSessionThatEndsIsOpenedAgainWithAFreshHelloUntilAnEndThatIsFinal() throws Exception {
    session().start();
    Future<SyncSession.Stop> stop = waiter.submit(session::awaitStop);
    assertNotNull(plane.hellos.poll(5, TimeUnit.SECONDS));
    plane.inbound().ended(SessionEnd.retry("UNAVAILABLE: the server went away"));
    assertNotNull(plane.hellos.poll(5, TimeUnit.SECONDS), "opened again after the back-off");
    plane.inbound().ended(new SessionEnd(SessionEnd.Reason.REPLACED, "ABORTED: taken over"));
    assertEquals(SyncSession.Stop.REPLACED, stop.get(5, TimeUnit.SECONDS));
  }

  @Test
  void reportsGoUpWhileASessionIsOpenAndAreDroppedBetweenSessions() throws Exception {
    DeploymentProgress before = DeploymentProgress.newBuilder().setModel("before").build();
    DeploymentProgress during = DeploymentProgress.newBuilder().setModel("during").build();
    session().sendProgress(before);
    session.start();
    assertNotNull(plane.hellos.poll(5, TimeUnit.SECONDS));
    session.sendProgress(during);
    assertEquals(during, plane.sent.poll(5, TimeUnit.SECONDS));
    assertTrue(plane.sent.isEmpty(), "what was sent before the session is not replayed");
  }

  @Test
  void theServersConfigSetsTheHeartbeatAndAReconnectOpensANewSession() throws Exception {
    session().start();
    assertNotNull(plane.hellos.poll(5, TimeUnit.SECONDS));
    plane.inbound().config(SyncConfig.newBuilder().setHeartbeatIntervalSeconds(1).build());
    assertTrue(plane.sent.poll(5, TimeUnit.SECONDS) instanceof Heartbeat);
    session.reconnect();
    assertEquals("reconnecting with a renewed certificate", plane.cancelled.poll());
    assertNotNull(plane.hellos.poll(5, TimeUnit.SECONDS), "a new session at once");
  }
}
