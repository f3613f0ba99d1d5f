package dev.modelfleet.agent.selfupdate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device's rules for its own releases, against an agent running 2.0.0 with an in-memory
 * artifact source: what it installs and hands to its launcher, and what it refuses (with the reason
 * the rollout sees) without touching the running release.
 */
class SelfUpdaterTest {

  static final String RUNNING = "2.0.0";

  @TempDir Path stateDir;
  final FleetFixture fleet = new FleetFixture();
  final InMemoryArtifactSource source = new InMemoryArtifactSource();
  final List<DeploymentProgress> progress = new CopyOnWriteArrayList<>();
  final AtomicInteger restarts = new AtomicInteger();
  boolean serving = true;
  int serverProtocol = 1;
  int configVersion = 1;
  ReleaseSlots slots;

  @BeforeEach
  void paths() {
    slots = new ReleaseSlots(stateDir);
  }

  SelfUpdater updater(boolean supervised) throws Exception {
    StateStore store = new StateStore(stateDir);
    return new SelfUpdater(
        RUNNING,
        supervised,
        slots,
        new Compatibility(() -> serverProtocol, configVersion),
        new DesiredStateVerifier(
            fleet::trustedRoot, FleetFixture.DEVICE_ID, System::currentTimeMillis),
        new ArtifactDownloader(source, store::artifact, store::partial, 2, 1),
        () -> new DeviceFacts("x86_64", Set.of(), 8L << 30),
        () -> serving,
        progress::add,
        restarts::incrementAndGet);
  }

  byte[] release(String version) {
    byte[] jar = ("agent jar " + version).getBytes(StandardCharsets.UTF_8);
    source.put(jar);
    return jar;
  }

  DesiredModel entry(String version, byte[] jar) {
    return fleet.desiredModel(SelfUpdater.RELEASES, version, jar);
  }

  /** A release whose signed manifest says what it needs around it. */
  DesiredModel needing(String version, byte[] jar, int minProtocol, int minConfigVersion) {
    return fleet.desiredModel(
        fleet.manifest(SelfUpdater.RELEASES, version, jar).toBuilder()
            .setMinProtocol(minProtocol)
            .setMinConfigVersion(minConfigVersion)
            .build());
  }

  DeploymentProgress last() {
    return progress.get(progress.size() - 1);
  }

  @Test
  void aNewerReleaseIsInstalledBesideTheRunningOneAndTheLauncherAskedToTryIt() throws Exception {
    byte[] jar = release("2.1.0");
    updater(true).apply(entry("2.1.0", jar), 7);
    assertArrayEquals(jar, Files.readAllBytes(slots.jar("2.1.0")));
    assertEquals("2.1.0", Files.readString(slots.root().resolve("trial")).trim());
    assertEquals(1, restarts.get());
    assertEquals(DeploymentState.DEPLOYMENT_STATE_LOADING, last().getState());
  }

  @Test
  void anOlderReleaseIsRefusedWithoutTheSignedAllowance() throws Exception {
    byte[] jar = release("1.9.0");
    updater(true).apply(entry("1.9.0", jar), 7);
    assertEquals(DeploymentState.DEPLOYMENT_STATE_FAILED, last().getState());
    assertEquals(SelfUpdater.DOWNGRADE, last().getReasonCode(), last().getReason());
    assertFalse(Files.exists(slots.jar("1.9.0")));
    assertEquals(0, restarts.get());
  }

  @Test
  void anOlderReleaseIsInstalledWhenARollbackAllowsIt() throws Exception {
    byte[] jar = release("1.9.0");
    updater(true).apply(entry("1.9.0", jar).toBuilder().setAllowDowngrade(true).build(), 7);
    assertTrue(Files.exists(slots.jar("1.9.0")));
    assertEquals(1, restarts.get());
  }

  @Test
  void aReleaseTheLauncherWentBackFromIsReportedWithItsReasonAndNotTriedAgain() throws Exception {
    byte[] jar = release("2.1.0");
    Files.createDirectories(slots.root().resolve("failed"));
    Files.writeString(slots.root().resolve("failed/2.1.0"), "it exited with status 1\n");
    updater(true).apply(entry("2.1.0", jar), 7);
    assertEquals(SelfUpdater.REVERTED, last().getReasonCode());
    assertTrue(last().getReason().contains("it exited with status 1"), last().getReason());
    assertEquals(0, restarts.get());
  }

  @Test
  void bytesThatAreNotTheSignedReleaseAreRefused() throws Exception {
    byte[] jar = release("2.1.0");
    source.putAs(Dsse.sha256Hex(jar), "something else entirely".getBytes(StandardCharsets.UTF_8));
    updater(true).apply(entry("2.1.0", jar), 7);
    assertEquals(DeploymentState.DEPLOYMENT_STATE_FAILED, last().getState(), progress.toString());
    assertFalse(Files.exists(slots.jar("2.1.0")));
    assertEquals(0, restarts.get());
  }

  @Test
  void withoutALauncherNothingIsInstalled() throws Exception {
    byte[] jar = release("2.1.0");
    updater(false).apply(entry("2.1.0", jar), 7);
    assertEquals(SelfUpdater.UNSUPERVISED, last().getReasonCode());
    assertFalse(Files.exists(slots.jar("2.1.0")));
  }

  @Test
  void aReleaseOnTrialConfirmsItselfHealthyOnlyWhenEveryModelServes() throws Exception {
    byte[] jar = release(RUNNING);
    Files.createDirectories(slots.root());
    Files.writeString(slots.root().resolve("trying"), RUNNING + "\n");
    serving = false;
    SelfUpdater updater = updater(true);
    updater.apply(entry(RUNNING, jar), 8);
    assertFalse(Files.exists(slots.root().resolve("healthy")));
    assertTrue(progress.isEmpty(), "not active before it is healthy: " + progress);

    serving = true;
    updater.apply(entry(RUNNING, jar), 8);
    assertEquals(RUNNING, Files.readString(slots.root().resolve("healthy")).trim());
    assertEquals(DeploymentState.DEPLOYMENT_STATE_ACTIVE, last().getState());
    assertEquals(0, restarts.get());
  }

  @Test
  void aReleaseThatNeedsANewerProtocolThanTheServerSpeaksIsRefusedBeforeItsDownload()
      throws Exception {
    byte[] jar = release("2.1.0");
    updater(true).apply(needing("2.1.0", jar, 2, 0), 7);
    assertEquals(DeploymentState.DEPLOYMENT_STATE_FAILED, last().getState());
    assertEquals(Compatibility.PROTOCOL, last().getReasonCode(), last().getReason());
    assertTrue(last().getReason().contains("needs protocol revision 2"), last().getReason());
    assertFalse(Files.exists(slots.jar("2.1.0")));
    assertTrue(source.requestedOffsets.isEmpty(), "refused before any byte is fetched");
    assertEquals(0, restarts.get());

    serverProtocol = 2;
    updater(true).apply(needing("2.1.0", jar, 2, 0), 8);
    assertTrue(Files.exists(slots.jar("2.1.0")), "installed once the server speaks it");
  }

  @Test
  void aReleaseThatNeedsANewerConfigVersionIsRefusedUntilTheConfigurationHasIt() throws Exception {
    byte[] jar = release("2.1.0");
    updater(true).apply(needing("2.1.0", jar, 1, 2), 7);
    assertEquals(Compatibility.CONFIG, last().getReasonCode(), last().getReason());
    assertTrue(last().getReason().contains("needs config-version 2"), last().getReason());
    assertFalse(Files.exists(slots.jar("2.1.0")));

    configVersion = 2;
    updater(true).apply(needing("2.1.0", jar, 1, 2), 8);
    assertTrue(Files.exists(slots.jar("2.1.0")));
    assertEquals(1, restarts.get());
  }
}
