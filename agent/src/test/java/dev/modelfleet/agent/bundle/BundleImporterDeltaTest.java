package dev.modelfleet.agent.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FakeModelLoader;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import dev.modelfleet.protocol.agent.v1.ClassDesiredState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delta inside a bundle is only a way to get bytes: one that passes the signed index but does not
 * rebuild the signed artifact fails the import with a reason, and nothing changes (the model in
 * service stays, the delta does not stay in the store). Real deployer and downloader, fake models.
 */
class BundleImporterDeltaTest {

  private static final String CLASS = "0123456789abcdef";

  @TempDir Path stateDir;
  @TempDir Path usb;
  private final FleetFixture fleet = new FleetFixture();
  private final ModelRegistry registry = new ModelRegistry();

  @AfterEach
  void close() {
    registry.closeAll();
  }

  @Test
  void aDeltaThatDoesNotRebuildTheSignedArtifactFailsTheImportAndChangesNothing() throws Exception {
    byte[] v1 = FakeModelLoader.model(1);
    byte[] v2 = FakeModelLoader.model(2);
    StateStore store = new StateStore(stateDir);
    InMemoryArtifactSource network = new InMemoryArtifactSource();
    network.put(v1); // version 1 came online; version 2 is nowhere but as the bundle's delta
    BundleArtifactSource source = new BundleArtifactSource(network);
    AtomicReference<TrustedRoot> root = new AtomicReference<>(fleet.trustedRoot());
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(root::get, FleetFixture.DEVICE_ID, System::currentTimeMillis)
            .withHardwareClass(() -> CLASS);
    AtomicReference<BundleImporter> importer = new AtomicReference<>();
    Deployer deployer =
        new Deployer(
            verifier,
            new ArtifactDownloader(source, store::artifact, store::partial, 1, 0),
            new FakeModelLoader(),
            registry,
            store,
            // as the agent wires it: every report passes the importer, which learns the outcome
            p -> {
              if (importer.get() != null) {
                importer.get().observe(p);
              }
            },
            () -> new DeviceFacts("x86_64", Set.of("avx2"), 8L << 30));
    assertTrue(
        deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel("m", "1", v1)))));
    assertEquals("1", store.current().active("m").version());

    byte[] delta = "not a delta of anything".repeat(20).getBytes(StandardCharsets.UTF_8);
    DesiredModel offered =
        fleet.desiredModel("m", "2", v2).toBuilder()
            .setDelta(
                ArtifactDelta.newBuilder()
                    .setBaseSha256(Dsse.sha256Hex(v1))
                    .setBaseSize(v1.length)
                    .setSha256(Dsse.sha256Hex(delta))
                    .setSize(delta.length))
            .build();
    DesiredState.Builder state =
        DesiredState.newBuilder()
            .setIssuedAtMs(store.current().acceptedIssuedAtMs() + 1000)
            .setExpiresAtMs(System.currentTimeMillis() + 3_600_000)
            .addModels(offered);
    BundleReaderTest.Builder bundle = new BundleReaderTest.Builder(fleet);
    bundle.documents.put(
        "classes/" + CLASS + ".dsse",
        FleetFixture.sign(
                ClassDesiredState.newBuilder().setHardwareClass(CLASS).setState(state).build(),
                Dsse.CLASS_DESIRED_STATE_TYPE,
                fleet.targets)
            .toByteArray());
    bundle.artifacts.put("artifacts/" + Dsse.sha256Hex(delta), delta);
    Path file = usb.resolve("bundle.tar");
    Files.write(file, bundle.build());

    importer.set(
        BundleImporter.unenrolled(
                RootPin.of(fleet.rootKeySpki()),
                store,
                deployer,
                source,
                System::currentTimeMillis,
                root::set)
            .withHardwareClass(() -> CLASS));
    BundleImporter.Result result = importer.get().importBundle(file);

    assertFalse(result.installed(), result.toString());
    assertFalse(result.reason().isBlank(), result.toString());
    assertTrue(result.reason().contains("delta"), "the reason names the delta: " + result);
    assertEquals("1", store.current().active("m").version(), "version 1 stays in service");
    var served = registry.acquire("m");
    try {
      assertEquals("1", served.version(), "and serves");
    } finally {
      served.release();
    }
    assertFalse(Files.exists(store.artifact(Dsse.sha256Hex(delta))), "the delta is not kept");
    assertFalse(Files.exists(store.artifact(Dsse.sha256Hex(v2))), "nothing half-built is kept");
  }
}
