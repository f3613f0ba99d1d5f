package dev.modelfleet.agent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FakeModelLoader;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the persisted state says after restarts and removals. */
class DeployerStateTest {

  @TempDir Path stateDir;
  final FleetFixture fleet = new FleetFixture();
  final InMemoryArtifactSource source = new InMemoryArtifactSource();
  final List<DeploymentProgress> progress = new CopyOnWriteArrayList<>();
  final byte[] classifier = FakeModelLoader.model(1);
  final byte[] other = FakeModelLoader.model(2);
  ModelRegistry registry = new ModelRegistry();

  Deployer deployer(StateStore store, ModelRegistry registry) {
    return new Deployer(
        new DesiredStateVerifier(
            fleet::trustedRoot, FleetFixture.DEVICE_ID, System::currentTimeMillis),
        new ArtifactDownloader(source, store::artifact, store::partial, 2, 1),
        new FakeModelLoader(),
        registry,
        store,
        progress::add,
        () -> new DeviceFacts("x86_64", Set.of(), 8L << 30));
  }

  @AfterEach
  void close() {
    registry.closeAll();
  }

  @Test
  void aModelThatFailedToRestoreIsForgottenOnceTheDesiredStateDropsIt() throws Exception {
    source.put(classifier);
    source.put(other);
    StateStore store = new StateStore(stateDir);
    deployer(store, registry)
        .apply(
            fleet.signDesired(
                fleet.desiredState(fleet.desiredModel("classifier", "1", classifier))));
    assertEquals(1, store.current().activeModels().size());
    registry.closeAll();

    // Restart: the file was damaged while the agent was down, so nothing is restored.
    Path file = store.artifact(Dsse.sha256Hex(classifier));
    Files.write(file, new byte[] {1, 2, 3});
    StateStore restarted = new StateStore(stateDir);
    registry = new ModelRegistry();
    assertEquals(
        1,
        ActiveModelRestorer.restore(
                restarted, new SmokeTestedLoader(new FakeModelLoader()), registry)
            .size());

    // The server no longer wants "classifier": the agent must not keep promising it.
    deployer(restarted, registry)
        .apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel("other", "1", other))));
    assertNull(restarted.current().active("classifier"), restarted.current().toString());
    assertEquals(
        List.of("other"), restarted.current().activeModels().stream().map(m -> m.model()).toList());
    assertTrue(Files.notExists(file), "the damaged artifact is cleaned up");
    assertNull(new StateStore(stateDir).current().active("classifier"));
  }
}
