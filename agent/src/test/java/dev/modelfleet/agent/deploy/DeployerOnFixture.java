package dev.modelfleet.agent.deploy;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A deployer wired as on a device, over a test fleet's signed desired states and an in-memory
 * artifact source served in 64 KiB chunks (so a download is several requests): what the delivery
 * tests (deltas, compressed copies) share. Close it to unload what it served.
 */
final class DeployerOnFixture implements AutoCloseable {

  final FleetFixture fleet = new FleetFixture();
  final InMemoryArtifactSource source = new InMemoryArtifactSource();
  final List<DeploymentProgress> progress = new CopyOnWriteArrayList<>();
  final ModelRegistry registry = new ModelRegistry();
  final StateStore store;
  final Deployer deployer;

  DeployerOnFixture(Path stateDir, ModelLoader loader) throws IOException {
    source.chunkSize = 64 << 10;
    store = new StateStore(stateDir);
    deployer =
        new Deployer(
            new DesiredStateVerifier(
                fleet::trustedRoot, FleetFixture.DEVICE_ID, System::currentTimeMillis),
            new ArtifactDownloader(source, store::artifact, store::partial, 2, 1),
            loader,
            registry,
            store,
            progress::add,
            () -> new DeviceFacts("x86_64", Set.of(), 8L << 30));
  }

  /** Signs a desired state holding this one model and hands it to the deployer. */
  void deploy(DesiredModel desired) throws InterruptedException {
    deployer.apply(fleet.signDesired(fleet.desiredState(desired)));
  }

  /** The last report that the model went active; fails when none did. */
  DeploymentProgress active() {
    return progress.stream()
        .filter(p -> p.getState() == DeploymentState.DEPLOYMENT_STATE_ACTIVE)
        .reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("never active: " + progress));
  }

  @Override
  public void close() {
    registry.closeAll();
  }
}
