package dev.modelfleet.agent.trial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import dev.modelfleet.protocol.agent.v1.TrialResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A desired state applied while a trial runs cleans up the artifacts nobody wants; the candidate
 * the trial is timing is wanted by the trial and must not vanish under it.
 */
class TrialWhileDeployingTest {

  @TempDir Path dir;
  final FleetFixture fleet = new FleetFixture();
  final InMemoryArtifactSource source = new InMemoryArtifactSource();
  final ModelRegistry registry = new ModelRegistry();
  final byte[] served = SampleModels.classifier(1);
  final byte[] candidate = SampleModels.classifier(2);

  @AfterEach
  void close() {
    registry.closeAll();
  }

  @Test
  void aDeploymentsCleanUpDoesNotDeleteTheArtifactOfARunningTrial() throws Exception {
    source.put(served);
    source.put(candidate);
    StateStore store = new StateStore(dir);
    ArtifactDownloader downloader =
        new ArtifactDownloader(source, store::artifact, store::partial, 2, 1);
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(
            fleet::trustedRoot, FleetFixture.DEVICE_ID, System::currentTimeMillis);
    DeviceFacts device = new DeviceFacts("x86_64", Set.of(), 8L << 30);
    OrtModelLoader ort = new OrtModelLoader(1);
    Deployer deployer =
        new Deployer(verifier, downloader, ort, registry, store, p -> {}, () -> device);
    Path candidateFile = store.artifact(Dsse.sha256Hex(candidate));

    // The trial's loader lets a desired state arrive between download and load.
    ModelLoader racing =
        new ModelLoader() {
          @Override
          public LoadedModel load(Path file)
              throws dev.modelfleet.agent.runtime.ModelLoadException {
            return load(file, "cpu");
          }

          @Override
          public LoadedModel load(Path file, String provider)
              throws dev.modelfleet.agent.runtime.ModelLoadException {
            try {
              deployer.apply(
                  fleet.signDesired(
                      fleet.desiredState(fleet.desiredModel("classifier", "1", served))));
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
            return ort.load(file, provider);
          }
        };
    TrialRunner trials = new TrialRunner(verifier, downloader, racing, () -> device);
    TrialReport report =
        trials.run(
            TrialRequest.newBuilder()
                .setTrialId("t1")
                .setRuns(3)
                .addManifests(
                    FleetFixture.sign(
                        fleet.manifest("classifier", "2", candidate),
                        Dsse.VARIANT_MANIFEST_TYPE,
                        fleet.targets))
                .build());

    TrialResult result = report.getResults(0);
    assertEquals("", result.getError(), result.getReasonCode());
    assertEquals(3, result.getRuns());
    assertTrue(registry.peek("classifier") != null, "the deployment went ahead");
    // Once the trial is over, the next clean-up may remove the candidate (it is not wanted).
    deployer.apply(
        fleet.signDesired(fleet.desiredState(fleet.desiredModel("classifier", "1", served))));
    assertTrue(Files.notExists(candidateFile), "not wanted any more: cleaned up");
  }
}
