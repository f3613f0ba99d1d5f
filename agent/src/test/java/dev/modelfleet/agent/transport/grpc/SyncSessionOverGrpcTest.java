package dev.modelfleet.agent.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.session.Backoff;
import dev.modelfleet.agent.session.DeviceReports;
import dev.modelfleet.agent.session.SyncSession;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.Eventually;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FakeModelLoader;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device's session over the Sync stream, against a fake control plane in this process: what the
 * stream's statuses mean for the session (retry, or stop for good) and what travels on it.
 */
class SyncSessionOverGrpcTest {

  @TempDir Path dir;
  StateStore store;

  SyncSession session(ManagedChannel channel, String credential, FleetFixture fleet)
      throws Exception {
    return session(channel, credential, fleet, HardwareProfile::getDefaultInstance);
  }

  SyncSession session(
      ManagedChannel channel,
      String credential,
      FleetFixture fleet,
      java.util.function.Supplier<HardwareProfile> hardware)
      throws Exception {
    store = new StateStore(dir);
    ModelRegistry registry = new ModelRegistry();
    Deployer deployer =
        new Deployer(
            new DesiredStateVerifier(
                fleet::trustedRoot, FleetFixture.DEVICE_ID, System::currentTimeMillis),
            new ArtifactDownloader(
                new InMemoryArtifactSource(), store::artifact, store::partial, 1, 1),
            new FakeModelLoader(),
            registry,
            store,
            p -> {},
            () -> new DeviceFacts("", Set.of(), 0));
    return new SyncSession(
        new GrpcControlPlane(
            AgentServiceGrpc.newStub(channel)
                .withInterceptors(new BearerCredentialInterceptor(credential))),
        new DeviceReports(hardware, store, registry, () -> 1),
        deployer::apply,
        new Backoff(10, 100));
  }

  @Test
  void sendsHelloThenHeartbeatsAtTheServersInterval() throws Exception {
    FleetFixture fleet = new FleetFixture();
    try (FakeControlPlane server = FakeControlPlane.inProcess(fleet)) {
      ManagedChannel channel = server.channel();
      try (SyncSession sync = session(channel, FakeControlPlane.CREDENTIAL, fleet).start()) {
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS));
        assertNotNull(server.heartbeats.poll(5, TimeUnit.SECONDS), "heartbeat every 1 s");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aRefusedCredentialStopsTheSessionInsteadOfRetrying() throws Exception {
    FleetFixture fleet = new FleetFixture();
    try (FakeControlPlane server = FakeControlPlane.inProcess(fleet)) {
      ManagedChannel channel = server.channel();
      ExecutorService waiter = Executors.newSingleThreadExecutor();
      try (SyncSession sync = session(channel, "revoked", fleet).start()) {
        Future<SyncSession.Stop> stop = waiter.submit(sync::awaitStop);
        assertEquals(SyncSession.Stop.UNAUTHENTICATED, stop.get(10, TimeUnit.SECONDS));
        assertEquals(1, server.authorizations.size(), "no retry with the same credential");
      } finally {
        waiter.shutdownNow();
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aDroppedStreamIsRetriedWithBackoff() throws Exception {
    FleetFixture fleet = new FleetFixture();
    FakeControlPlane first = FakeControlPlane.inProcess(fleet);
    String name = first.address();
    ManagedChannel channel = first.channel();
    try (SyncSession sync = session(channel, FakeControlPlane.CREDENTIAL, fleet).start()) {
      assertNotNull(first.hellos.poll(10, TimeUnit.SECONDS));
      first.close();
      try (FakeControlPlane second = FakeControlPlane.inProcess(fleet, name)) {
        assertNotNull(second.hellos.poll(15, TimeUnit.SECONDS), "reconnected after the restart");
      }
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void anUnexpectedErrorWhileOpeningASessionIsRetriedNotTheEndOfSyncing() throws Exception {
    FleetFixture fleet = new FleetFixture();
    java.util.concurrent.atomic.AtomicInteger calls =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.function.Supplier<HardwareProfile> flaky =
        () -> {
          if (calls.incrementAndGet() == 1) {
            throw new IllegalStateException("probe failed once");
          }
          return HardwareProfile.getDefaultInstance();
        };
    try (FakeControlPlane server = FakeControlPlane.inProcess(fleet)) {
      ManagedChannel channel = server.channel();
      try (SyncSession sync = session(channel, FakeControlPlane.CREDENTIAL, fleet, flaky).start()) {
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS), "the session was opened again");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aDeviceAwaitingApprovalKeepsSyncingAndProceedsOnceApproved() throws Exception {
    FleetFixture fleet = new FleetFixture();
    List<String> logged = capture();
    try (FakeControlPlane server = FakeControlPlane.inProcess(fleet)) {
      server.awaitingApproval = true;
      server.desiredState = fleet.signDesired(fleet.desiredState());
      ManagedChannel channel = server.channel();
      try (SyncSession sync = session(channel, FakeControlPlane.CREDENTIAL, fleet).start()) {
        assertNotNull(server.hellos.poll(10, TimeUnit.SECONDS));
        assertNotNull(server.heartbeats.poll(5, TimeUnit.SECONDS), "the stream stays open");
        // the server repeats its config (as on every reconnect): the wait is logged once
        server.push(
            ServerMessage.newBuilder()
                .setConfig(
                    SyncConfig.newBuilder()
                        .setHeartbeatIntervalSeconds(1)
                        .setAwaitingApproval(true))
                .build());
        assertNotNull(server.heartbeats.poll(5, TimeUnit.SECONDS));
        assertEquals(
            1,
            logged.stream().filter(l -> l.contains("waiting for an operator to approve")).count(),
            logged.toString());
        assertEquals(0, store.current().acceptedGeneration());

        server.push(
            ServerMessage.newBuilder()
                .setConfig(
                    SyncConfig.newBuilder()
                        .setHeartbeatIntervalSeconds(1)
                        .setAwaitingApproval(false))
                .build());
        server.push(ServerMessage.newBuilder().setDesiredState(server.desiredState).build());
        Eventually.within(
            Duration.ofSeconds(10),
            () ->
                assertEquals(
                    1,
                    store.current().acceptedGeneration(),
                    "the approved device applies its state"));
        assertTrue(
            logged.stream().anyMatch(l -> l.contains("approved this device")), logged.toString());
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aRejectedDeviceStopsSyncingWithAClearReason() throws Exception {
    FleetFixture fleet = new FleetFixture();
    List<String> logged = capture();
    try (FakeControlPlane server = FakeControlPlane.inProcess(fleet)) {
      server.rejected = true;
      ManagedChannel channel = server.channel();
      ExecutorService waiter = Executors.newSingleThreadExecutor();
      try (SyncSession sync = session(channel, FakeControlPlane.CREDENTIAL, fleet).start()) {
        Future<SyncSession.Stop> stop = waiter.submit(sync::awaitStop);
        assertEquals(SyncSession.Stop.REJECTED, stop.get(10, TimeUnit.SECONDS));
        assertEquals(1, server.authorizations.size(), "no retry once rejected");
        assertTrue(
            logged.stream().anyMatch(l -> l.contains("rejected") && l.contains("enroll again")),
            logged.toString());
      } finally {
        waiter.shutdownNow();
        channel.shutdownNow();
      }
    }
  }

  // held here: java.util.logging keeps loggers weakly, and with them their level and handlers
  private static final Logger SYNC_LOG = Logger.getLogger("modelfleet.sync");

  /** The sync logger's messages (INFO and up) from here on. */
  private static List<String> capture() {
    List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
    SYNC_LOG.setLevel(java.util.logging.Level.INFO);
    SYNC_LOG.addHandler(
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            messages.add(record.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        });
    return messages;
  }
}
