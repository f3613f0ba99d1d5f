package dev.modelfleet.agent.attack;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.download.ThroughputFloor;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The agent's real deployment pipeline (verifier, downloader, loader with its smoke test, registry,
 * state store) wired as {@code lifecycle.Agent} wires it, minus the network session: the test hands
 * it documents, as a Sync stream would. SampleModels' classifier and FakeModelLoader's models both
 * take {@code input}, FP32 [1, 4].
 */
final class DeviceUnderAttack implements AutoCloseable {

  /** A small x86-64 device with AVX2 and 8 GiB. */
  static final DeviceFacts FACTS = new DeviceFacts("x86_64", Set.of("avx2", "fma"), 8L << 30);

  /**
   * Fast enough for any honest test link, and found out within a second: a shorter window took a
   * loaded machine's scheduling pause for a trickle (an endless stream over gRPC's 1 KiB chunks was
   * once refused as too slow instead of too long).
   */
  static final ThroughputFloor FLOOR = new ThroughputFloor(64 * 1024, 1000);

  static final float[] SAMPLE = {0.5f, -1f, 2f, 0.25f};

  final ModelRegistry registry = new ModelRegistry();
  final StateStore store;
  final List<DeploymentProgress> progress = new CopyOnWriteArrayList<>();
  private final Deployer deployer;

  final RootChain roots;

  /** How far this device's clock runs ahead of the real one (time passing, without a wait). */
  final AtomicLong clockAheadMs = new AtomicLong();

  /**
   * @param loader the test kit's fake where ONNX Runtime adds nothing to the rule under attack;
   *     ONNX Runtime's loader where loading is part of it (hostile models)
   */
  DeviceUnderAttack(
      Path stateDir, RepositorySimulator repository, ArtifactSource source, ModelLoader loader)
      throws java.io.IOException {
    store = new StateStore(stateDir);
    roots = repository.enrolledChain(stateDir.resolve(RootChain.CHAIN_FILE));
    roots.persist();
    Supplier<TrustedRoot> root = roots::current;
    ArtifactDownloader downloader =
        new ArtifactDownloader(source, store::artifact, store::partial, 2, 20, FLOOR);
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(root, RepositorySimulator.DEVICE, this::now);
    deployer =
        new Deployer(verifier, downloader, loader, registry, store, progress::add, () -> FACTS);
  }

  /** A RootUpdate as the Sync stream hands it over; refusals land in {@link #progress}. */
  boolean rootUpdate(SignedEnvelope... versions) {
    progress.clear();
    return roots.accept(
        RootUpdate.newBuilder().addAllRootMetadata(List.of(versions)).build(),
        this::now,
        progress::add);
  }

  long now() {
    return System.currentTimeMillis() + clockAheadMs.get();
  }

  boolean apply(SignedEnvelope document) throws InterruptedException {
    progress.clear();
    return deployer.apply(document);
  }

  /** The FAILED report the last document ended in, if any. */
  DeploymentProgress failure() {
    return progress.stream()
        .filter(p -> p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED)
        .reduce((first, second) -> second)
        .orElseThrow(() -> new AssertionError("no refusal was reported: " + progress));
  }

  /** Runs the served model the way the inference API does; null when nothing serves it. */
  float[] infer(String model) throws Exception {
    ServedModel served = registry.acquire(model);
    assertNotNull(served, "model " + model + " must be serving");
    try {
      List<Tensor> out =
          served
              .model()
              .infer(
                  List.of(
                      new Tensor(SampleModels.INPUT, "FP32", new long[] {1, 4}, SAMPLE.clone())),
                  Set.of());
      return (float[]) out.get(0).data();
    } finally {
      served.release();
    }
  }

  @Override
  public void close() {
    registry.closeAll();
  }
}
