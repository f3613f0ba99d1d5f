package dev.modelfleet.agent.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.session.Backoff;
import dev.modelfleet.agent.session.DeviceReports;
import dev.modelfleet.agent.session.OfflineHeartbeats;
import dev.modelfleet.agent.session.OfflineReports;
import dev.modelfleet.agent.session.SyncSession;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.Eventually;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.ReportAck;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a device made or sent while its link was unreliable reaches the control plane over real Sync
 * streams (a grpc-java server in this process): outcome reports until the server acknowledges them,
 * heartbeats made offline with their original times.
 */
class OfflineDeliveryOverGrpcTest {

  @TempDir Path dir;

  OfflineReports reports;
  OfflineHeartbeats heartbeats;

  SyncSession session(ManagedChannel channel) throws Exception {
    reports = new OfflineReports(dir, 50);
    heartbeats = new OfflineHeartbeats(dir, 100, 64 * 1024);
    return new SyncSession(
            new GrpcControlPlane(
                AgentServiceGrpc.newStub(channel)
                    .withInterceptors(
                        new BearerCredentialInterceptor(FakeControlPlane.CREDENTIAL))),
            new DeviceReports(
                HardwareProfile::getDefaultInstance,
                new StateStore(dir),
                new ModelRegistry(),
                () -> 1),
            state -> {},
            new Backoff(10, 100))
        .queueWhileOffline(reports)
        .heartbeatsWhileOffline(heartbeats);
  }

  static DeploymentProgress active(String version) {
    return DeploymentProgress.newBuilder()
        .setModel("classifier")
        .setVersion(version)
        .setGeneration(3)
        .setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
        .build();
  }

  @Test
  void anOutcomeSentOnAStreamCutBeforeItsAckIsSentAgainAndForgottenOnlyOnceAcknowledged()
      throws Exception {
    try (FakeControlPlane server = FakeControlPlane.inProcess(new FleetFixture())) {
      server.acksReports = true;
      server.withholdAcks = true;
      ManagedChannel channel = server.channel();
      try (SyncSession sync = session(channel).start()) {
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS));
        Eventually.within(Duration.ofSeconds(10), () -> assertTrue(sync.answered()));

        sync.sendProgress(active("2"));
        DeploymentProgress first = server.progress.poll(10, TimeUnit.SECONDS);
        assertNotNull(first, "sent at once on the open session");
        assertEquals(1, first.getReportSeq());
        assertTrue(!first.getReportQueue().isEmpty());
        assertEquals(1, reports.size(), "kept until acknowledged");

        server.cut();
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS), "reconnected");
        DeploymentProgress resent = server.progress.poll(10, TimeUnit.SECONDS);
        assertEquals(first, resent, "the same report, with the same number");
        assertEquals(1, new OfflineReports(dir, 50).size(), "kept across a restart as well");

        server.push(
            ServerMessage.newBuilder()
                .setReportAck(
                    ReportAck.newBuilder()
                        .setReportQueue(first.getReportQueue())
                        .setReportSeq(first.getReportSeq()))
                .build());
        Eventually.within(Duration.ofSeconds(10), () -> assertEquals(0, reports.size()));
        assertEquals(0, new OfflineReports(dir, 50).size(), "forgotten on disk too");

        server.withholdAcks = false;
        sync.sendProgress(active("3"));
        DeploymentProgress next = server.progress.poll(10, TimeUnit.SECONDS);
        assertEquals(2, next.getReportSeq(), "numbers keep growing after an ack");
        Eventually.within(Duration.ofSeconds(10), () -> assertEquals(0, reports.size()));
        server.cut();
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS));
        assertEquals(
            null, server.progress.poll(500, TimeUnit.MILLISECONDS), "nothing acknowledged resent");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aServerThatDoesNotAcknowledgeGetsEachReportOnceAndTheQueueStaysEmpty() throws Exception {
    try (FakeControlPlane server = FakeControlPlane.inProcess(new FleetFixture())) {
      ManagedChannel channel = server.channel();
      try (SyncSession sync = session(channel).start()) {
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS));
        Eventually.within(Duration.ofSeconds(10), () -> assertTrue(sync.answered()));
        for (int i = 1; i <= 3; i++) {
          sync.sendProgress(active(String.valueOf(i)));
          assertNotNull(server.progress.poll(10, TimeUnit.SECONDS));
          assertEquals(0, reports.size(), "forgotten once sent, as before acknowledgements");
        }
        server.cut();
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS));
        assertEquals(null, server.progress.poll(500, TimeUnit.MILLISECONDS), "nothing resent");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void heartbeatsMadeOfflineArriveAfterReconnectOldestFirstWithTheirOriginalTimes()
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    // no server under that name yet: the device is offline from its start
    try (SyncSession sync = session(channel).start();
        AutoCloseable ticks = OfflineHeartbeats.record(sync::keepHeartbeatIfOffline, 50)) {
      sync.sendProgress(active("7"));
      Eventually.within(Duration.ofSeconds(20), () -> assertTrue(heartbeats.size() >= 3));
      try (FakeControlPlane server = FakeControlPlane.inProcess(new FleetFixture(), name)) {
        assertNotNull(server.hellos.poll(15, TimeUnit.SECONDS), "connected when the link came");
        DeploymentProgress queued = server.progress.poll(10, TimeUnit.SECONDS);
        assertEquals("7", queued.getVersion(), "the report made offline follows");

        List<Heartbeat> late = new ArrayList<>();
        Heartbeat beat;
        while ((beat = server.heartbeats.poll(10, TimeUnit.SECONDS)) != null
            && beat.getQueuedForMs() > 0) {
          late.add(beat);
        }
        assertNotNull(beat, "live heartbeats follow the late ones");
        assertTrue(late.size() >= 3, late.size() + " heartbeats made offline");
        for (int i = 0; i < late.size(); i++) {
          Heartbeat h = late.get(i);
          assertTrue(
              h.getSentAtMs() <= beat.getSentAtMs(), "made before the session's first: " + h);
          if (i > 0) {
            assertTrue(h.getSentAtMs() >= late.get(i - 1).getSentAtMs(), "oldest first");
            assertTrue(h.getQueuedForMs() <= late.get(i - 1).getQueuedForMs());
          }
          // the age was measured on the device's clock when it was sent: made + age = sent
          long sent = h.getSentAtMs() + h.getQueuedForMs();
          assertTrue(
              sent >= late.get(late.size() - 1).getSentAtMs() && sent <= System.currentTimeMillis(),
              h.toString());
        }
        assertEquals(0, heartbeats.size(), "sent once");
        assertEquals(0, new OfflineHeartbeats(dir, 100, 64 * 1024).size(), "and off the disk");
      }
    } finally {
      channel.shutdownNow();
    }
  }
}
