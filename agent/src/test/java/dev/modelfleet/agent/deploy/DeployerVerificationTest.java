package dev.modelfleet.agent.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.session.DeviceReports;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FakeModelLoader;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ClassDesiredState;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.ShadowCandidate;
import dev.modelfleet.protocol.agent.v1.ShadowFigures;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every verification rule, each against a device that already serves model "classifier" version 1:
 * the refusal is reported with its reason code and version 1 keeps answering. The models are the
 * test kit's fakes: these rules hold whatever runtime loads the model (ONNX Runtime's own part is
 * in OrtModelLoaderTest and the attack suite).
 */
class DeployerVerificationTest {

  static final String MODEL = "classifier";
  static final float[] SAMPLE = {0.5f, -1f, 2f, 0.25f};

  @TempDir Path stateDir;
  final FleetFixture fleet = new FleetFixture();
  final InMemoryArtifactSource source = new InMemoryArtifactSource();
  final ModelRegistry registry = new ModelRegistry();
  final List<DeploymentProgress> progress = new CopyOnWriteArrayList<>();
  final byte[] v1 = FakeModelLoader.model(1);
  final byte[] v2 = FakeModelLoader.model(2);
  long clock = System.currentTimeMillis();
  DeviceFacts device = new DeviceFacts("x86_64", Set.of("avx2", "fma"), 8L << 30);
  StateStore store;
  Deployer deployer;
  float[] v1Output;

  @BeforeEach
  void deployVersionOne() throws Exception {
    store = new StateStore(stateDir);
    deployer = newDeployer();
    source.put(v1);
    source.put(v2);
    assertTrue(
        deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "1", v1)))));
    assertEquals(DeploymentState.DEPLOYMENT_STATE_ACTIVE, last().getState());
    v1Output = infer();
    progress.clear();
  }

  Deployer newDeployer() {
    ArtifactDownloader downloader =
        new ArtifactDownloader(source, store::artifact, store::partial, 2, 1);
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(fleet::trustedRoot, FleetFixture.DEVICE_ID, () -> clock)
            .withHardwareClass(() -> CLASS);
    return new Deployer(
        verifier, downloader, new FakeModelLoader(), registry, store, progress::add, () -> device);
  }

  static final String CLASS = "0123456789abcdef";

  /** A hardware class's state from a bundle, signed as the server signs it. */
  SignedEnvelope classState(String classId, long issuedAtMs, byte[] artifact, String version) {
    return FleetFixture.sign(
        ClassDesiredState.newBuilder()
            .setHardwareClass(classId)
            .setState(
                fleet
                    .desiredState(fleet.desiredModel(MODEL, version, artifact))
                    .setDeviceId("")
                    .setGeneration(0)
                    .setIssuedAtMs(issuedAtMs))
            .build(),
        Dsse.CLASS_DESIRED_STATE_TYPE,
        fleet.targets);
  }

  @Test
  void aClassStateSwapsInWithoutMovingTheDevicesGenerationAndCannotBeReplayed() throws Exception {
    long generation = store.current().acceptedGeneration();
    long issued = store.current().acceptedIssuedAtMs() + 1000;
    SignedEnvelope state = classState(CLASS, issued, v2, "2");
    assertTrue(deployer.applyClassState(state));
    assertEquals(DeploymentState.DEPLOYMENT_STATE_ACTIVE, last().getState(), progress.toString());
    assertEquals("2", store.current().active(MODEL).version());
    assertEquals(generation, store.current().acceptedGeneration(), "the device's floor stays");
    assertEquals(issued, store.current().acceptedIssuedAtMs());

    assertFalse(deployer.applyClassState(state), "the same class state again");
    assertEquals(DesiredStateVerifier.CLASS_ROLLBACK, last().getReasonCode());
    assertEquals("2", store.current().active(MODEL).version());

    // back online, the server's next document for the device still applies
    assertTrue(
        deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "1", v1)))));
    assertEquals("1", store.current().active(MODEL).version());
  }

  @Test
  void aClassStateForAnotherClassIsRefused() throws Exception {
    long issued = store.current().acceptedIssuedAtMs() + 1000;
    assertFalse(deployer.applyClassState(classState("fedcba9876543210", issued, v2, "2")));
    assertRefusedAndV1StillServing(DesiredStateVerifier.WRONG_CLASS);
  }

  @Test
  void aClassStateIssuedBeforeTheAcceptedDocumentIsARollback() throws Exception {
    long issued = store.current().acceptedIssuedAtMs() - 1;
    assertFalse(deployer.applyClassState(classState(CLASS, issued, v2, "2")));
    assertRefusedAndV1StillServing(DesiredStateVerifier.CLASS_ROLLBACK);
  }

  @Test
  void aClassStateIsNoDevicesDocumentOnTheSyncPath() throws Exception {
    long issued = store.current().acceptedIssuedAtMs() + 1000;
    assertFalse(deployer.apply(classState(CLASS, issued, v2, "2")));
    assertEquals(DeploymentState.DEPLOYMENT_STATE_FAILED, last().getState());
    assertArrayEquals(v1Output, infer(), "version 1 keeps answering");
    assertEquals("1", store.current().active(MODEL).version());
  }

  @AfterEach
  void close() {
    registry.closeAll();
  }

  float[] infer() throws Exception {
    ServedModel served = registry.acquire(MODEL);
    assertNotNull(served, "a model must be serving");
    try {
      List<Tensor> out =
          served
              .model()
              .infer(
                  List.of(
                      new Tensor(FakeModelLoader.INPUT, "FP32", new long[] {1, 4}, SAMPLE.clone())),
                  Set.of());
      return (float[]) out.get(0).data();
    } finally {
      served.release();
    }
  }

  DeploymentProgress last() {
    return progress.get(progress.size() - 1);
  }

  void assertRefusedAndV1StillServing(String reasonCode) throws Exception {
    DeploymentProgress failed = last();
    assertEquals(DeploymentState.DEPLOYMENT_STATE_FAILED, failed.getState(), progress.toString());
    assertEquals(reasonCode, failed.getReasonCode(), failed.getReason());
    assertFalse(failed.getReason().isBlank());
    assertEquals("1", registry.peek(MODEL).version());
    assertArrayEquals(v1Output, infer());
    assertEquals(Dsse.sha256Hex(v1), store.current().active(MODEL).sha256());
  }

  SignedEnvelope v2Document() {
    return fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "2", v2)));
  }

  @Test
  void aShadowCandidateWhoseBytesAreNotTheSignedOnesIsReportedInHeartbeatsAndNeverRuns()
      throws Exception {
    byte[] tampered = v2.clone();
    tampered[tampered.length - 1] ^= 1;
    source.putAs(Dsse.sha256Hex(v2), tampered);
    DesiredModel withShadow =
        fleet.desiredModel(MODEL, "1", v1).toBuilder()
            .setShadow(
                ShadowCandidate.newBuilder()
                    .setVersion("2")
                    .setManifest(
                        FleetFixture.sign(
                            fleet.manifest(MODEL, "2", v2),
                            Dsse.VARIANT_MANIFEST_TYPE,
                            fleet.targets))
                    .setComparison("top1>=0.99")
                    .setSampleRate(1.0))
            .build();

    assertTrue(deployer.apply(fleet.signDesired(fleet.desiredState(withShadow))));

    assertNull(registry.shadowOf(MODEL), "no candidate runs");
    Heartbeat beat =
        new DeviceReports(HardwareProfile::getDefaultInstance, store, registry, () -> 1)
            .heartbeat();
    assertEquals(1, beat.getShadowsCount(), beat.toString());
    ShadowFigures reported = beat.getShadows(0);
    assertEquals(MODEL, reported.getModel());
    assertEquals("1", reported.getServingVersion());
    assertEquals("2", reported.getCandidateVersion());
    assertEquals("top1>=0.99", reported.getComparison());
    assertEquals(0, reported.getCompared());
    assertTrue(
        reported.getLoadFailure().startsWith("sha256-mismatch: "), reported.getLoadFailure());
    assertEquals("1", registry.peek(MODEL).version());
    assertArrayEquals(v1Output, infer());

    // The candidate is taken out of the desired state: nothing more to report.
    assertTrue(
        deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "1", v1)))));
    assertEquals(
        0,
        new DeviceReports(HardwareProfile::getDefaultInstance, store, registry, () -> 1)
            .heartbeat()
            .getShadowsCount());
  }

  @Test
  void aValidNewVersionIsSwappedInAndReportedStepByStep() throws Exception {
    assertTrue(deployer.apply(v2Document()));
    assertEquals("2", registry.peek(MODEL).version());
    assertFalse(Arrays.equals(v1Output, infer()));
    List<DeploymentState> states =
        progress.stream().map(DeploymentProgress::getState).distinct().toList();
    assertEquals(
        List.of(
            DeploymentState.DEPLOYMENT_STATE_DOWNLOADING,
            DeploymentState.DEPLOYMENT_STATE_VERIFYING,
            DeploymentState.DEPLOYMENT_STATE_LOADING,
            DeploymentState.DEPLOYMENT_STATE_ACTIVE),
        states);
    assertEquals(2, store.current().acceptedGeneration());
    assertEquals(Dsse.sha256Hex(v2), store.current().active(MODEL).sha256());
    assertEquals(v2.length, last().getBytesDone());
    assertTrue(
        Files.exists(store.artifact(Dsse.sha256Hex(v1))),
        "the replaced model's artifact stays as the rollback copy (keep-old-versions=1)");
    assertTrue(Files.exists(store.artifact(Dsse.sha256Hex(v2))));
  }

  @Test
  void versionsOlderThanTheKeptOnesArePrunedNeverTheServingOrTheRollbackOne() throws Exception {
    byte[] v3 = FakeModelLoader.model(3);
    source.put(v3);
    assertTrue(deployer.apply(v2Document()));
    assertTrue(
        deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "3", v3)))));

    assertEquals("3", registry.peek(MODEL).version());
    assertTrue(Files.exists(store.artifact(Dsse.sha256Hex(v3))), "the serving one");
    assertTrue(Files.exists(store.artifact(Dsse.sha256Hex(v2))), "the rollback copy");
    assertFalse(Files.exists(store.artifact(Dsse.sha256Hex(v1))), "older than the kept one");
    assertEquals(
        List.of(Dsse.sha256Hex(v2)),
        store.current().previousModels().stream().map(m -> m.sha256()).toList());

    deployer.keepingOldVersions(0);
    byte[] v4 = FakeModelLoader.model(4);
    source.put(v4);
    assertTrue(
        deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "4", v4)))));
    assertFalse(Files.exists(store.artifact(Dsse.sha256Hex(v2))));
    assertFalse(Files.exists(store.artifact(Dsse.sha256Hex(v3))), "none kept with 0");
    assertTrue(Files.exists(store.artifact(Dsse.sha256Hex(v4))));
  }

  @Test
  void theActiveProgressSaysWhichExecutionProviderTheModelRunsOn() throws Exception {
    VariantManifest cuda =
        fleet.manifest(MODEL, "2", v2).toBuilder()
            .setVariantId("classifier-2-cuda-fp32")
            .setExecutionProvider("cuda")
            .build();
    assertTrue(deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(cuda)))));
    assertEquals(DeploymentState.DEPLOYMENT_STATE_ACTIVE, last().getState(), last().toString());
    assertEquals(
        "cpu",
        last().getExecutionProviderUsed(),
        "the loader ran the variant on the CPU: the progress says so");
    assertEquals(
        "cuda",
        store.current().active(MODEL).executionProvider(),
        "the variant's provider is kept, to be tried again at the next start");
  }

  @Test
  void aVariantForAnotherArchitectureIsRefusedBeforeDownload() throws Exception {
    assertHardwareMismatch(b -> b.setArch("arm64"), "aarch64");
  }

  @Test
  void aVariantNeedingAMissingCpuFlagIsRefused() throws Exception {
    assertHardwareMismatch(
        b -> b.addRequiredCpuFlags("avx2").addRequiredCpuFlags("avx512_vnni"), "avx512_vnni");
  }

  @Test
  void aVariantNeedingMoreMemoryThanTheDeviceHasIsRefused() throws Exception {
    assertHardwareMismatch(b -> b.setMinMemoryBytes(16L << 30), "memory");
  }

  @Test
  void aVariantWhoseNeedsFitIsDeployedWithAmd64SpelledEitherWay() throws Exception {
    VariantManifest fits =
        fleet.manifest(MODEL, "2", v2).toBuilder()
            .setArch("amd64")
            .addRequiredCpuFlags("AVX2")
            .setMinMemoryBytes(1L << 30)
            .build();
    assertTrue(deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(fits)))));
    assertEquals(DeploymentState.DEPLOYMENT_STATE_ACTIVE, last().getState(), last().toString());
  }

  void assertHardwareMismatch(
      java.util.function.UnaryOperator<VariantManifest.Builder> needs, String mentioned)
      throws Exception {
    VariantManifest manifest = needs.apply(fleet.manifest(MODEL, "2", v2).toBuilder()).build();
    assertTrue(deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(manifest)))));
    assertRefusedAndV1StillServing("hardware-mismatch");
    assertTrue(last().getReason().contains(mentioned), last().getReason());
    assertFalse(Files.exists(store.artifact(Dsse.sha256Hex(v2))), "nothing was downloaded");
  }

  @Test
  void tamperedArtifactBytesAreRefused() throws Exception {
    byte[] tampered = v2.clone();
    tampered[tampered.length / 2] ^= 0x01;
    source.putAs(Dsse.sha256Hex(v2), tampered);
    deployer.apply(v2Document());
    assertRefusedAndV1StillServing("sha256-mismatch");
    assertFalse(Files.exists(store.artifact(Dsse.sha256Hex(v2))));
  }

  @Test
  void tamperedManifestIsRefused() throws Exception {
    DesiredModel model = fleet.desiredModel(MODEL, "2", v2);
    VariantManifest altered =
        VariantManifest.parseFrom(model.getManifest().getPayload()).toBuilder()
            .setSha256(Dsse.sha256Hex(v1))
            .build();
    DesiredModel tampered =
        model.toBuilder()
            .setManifest(
                model.getManifest().toBuilder()
                    .setPayload(ByteString.copyFrom(altered.toByteArray())))
            .build();
    deployer.apply(fleet.signDesired(fleet.desiredState(tampered)));
    assertRefusedAndV1StillServing("signature-invalid");
  }

  @Test
  void desiredStateSignedByAnUnlistedKeyIsRefused() throws Exception {
    SignedEnvelope forged =
        fleet.signDesired(
            fleet.desiredState(fleet.desiredModel(MODEL, "2", v2)), Ed25519.generate());
    assertFalse(deployer.apply(forged));
    assertRefusedAndV1StillServing("unknown-key");
    assertEquals(1, store.current().acceptedGeneration());
  }

  @Test
  void manifestSignedByTheRootKeyInsteadOfATargetsKeyIsRefused() throws Exception {
    VariantManifest manifest = fleet.manifest(MODEL, "2", v2);
    DesiredModel model =
        DesiredModel.newBuilder()
            .setModel(MODEL)
            .setVersion("2")
            .setManifest(FleetFixture.sign(manifest, Dsse.VARIANT_MANIFEST_TYPE, fleet.root))
            .build();
    deployer.apply(fleet.signDesired(fleet.desiredState(model)));
    assertRefusedAndV1StillServing("unknown-key");
  }

  @Test
  void aManifestPresentedAsADesiredStateIsRefused() throws Exception {
    SignedEnvelope manifest = fleet.desiredModel(MODEL, "2", v2).getManifest();
    assertFalse(deployer.apply(manifest));
    assertRefusedAndV1StillServing("payload-type-mismatch");
  }

  @Test
  void desiredStateForAnotherDeviceIsRefused() throws Exception {
    assertFalse(
        deployer.apply(
            fleet.signDesired(
                fleet.desiredState(fleet.desiredModel(MODEL, "2", v2)).setDeviceId("dev-other"))));
    assertRefusedAndV1StillServing("wrong-device");
  }

  @Test
  void anOlderGenerationIsRefused() throws Exception {
    SignedEnvelope old = v2Document();
    assertTrue(
        deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "1", v1)))));
    progress.clear();
    assertFalse(deployer.apply(old));
    assertRefusedAndV1StillServing("generation-rollback");
    assertEquals(0, last().getGeneration());
  }

  @Test
  void anotherDocumentWithTheAcceptedGenerationIsAReplayButTheSameDocumentIsReapplied()
      throws Exception {
    var state = fleet.desiredState(fleet.desiredModel(MODEL, "1", v1));
    SignedEnvelope same = fleet.signDesired(state);
    assertTrue(deployer.apply(same));
    progress.clear();
    assertTrue(deployer.apply(same), "the server re-sends the document on every reconnect");
    assertTrue(progress.isEmpty(), "nothing changed, nothing to report: " + progress);
    assertFalse(
        deployer.apply(
            fleet.signDesired(state.clearModels().addModels(fleet.desiredModel(MODEL, "2", v2)))));
    assertRefusedAndV1StillServing("generation-rollback");
  }

  @Test
  void anExpiredDocumentIsRefused() throws Exception {
    assertFalse(
        deployer.apply(
            fleet.signDesired(
                fleet.desiredState(fleet.desiredModel(MODEL, "2", v2)).setExpiresAtMs(clock - 1))));
    assertRefusedAndV1StillServing("desired-state-expired");
  }

  @Test
  void aTruncatedDownloadIsRefusedAndResumedLater() throws Exception {
    String sha = Dsse.sha256Hex(v2);
    source.putAs(sha, Arrays.copyOf(v2, v2.length / 2));
    source.announcedSize = (long) v2.length; // the stream breaks off half-way
    SignedEnvelope document = v2Document();
    deployer.apply(document);
    assertRefusedAndV1StillServing("download-incomplete");
    assertEquals(v2.length / 2, Files.size(store.partial(sha)), "the prefix is kept to resume");

    source.putAs(sha, v2);
    source.announcedSize = null;
    source.requestedOffsets.clear();
    assertTrue(deployer.apply(document), "the same document is re-applied after a failure");
    assertEquals(List.of((long) v2.length / 2), source.requestedOffsets);
    assertEquals("2", registry.peek(MODEL).version());
  }

  @Test
  void aDownloadLongerThanDeclaredIsStoppedAndRefused() throws Exception {
    String sha = Dsse.sha256Hex(v2);
    byte[] longer = Arrays.copyOf(v2, v2.length + 10_000);
    source.putAs(sha, longer);
    source.announcedSize = (long) v2.length;
    deployer.apply(v2Document());
    assertRefusedAndV1StillServing("size-exceeded");
    Path part = store.partial(sha);
    assertTrue(
        !Files.exists(part) || Files.size(part) <= v2.length,
        "never more than the declared size on disk");
  }

  @Test
  void anArtifactWhoseServerSizeDiffersFromTheManifestIsRefused() throws Exception {
    source.putAs(Dsse.sha256Hex(v2), Arrays.copyOf(v2, v2.length + 1));
    deployer.apply(v2Document());
    assertRefusedAndV1StillServing("size-exceeded");
    source.putAs(Dsse.sha256Hex(v2), Arrays.copyOf(v2, v2.length - 1));
    deployer.apply(v2Document());
    assertRefusedAndV1StillServing("size-mismatch");
  }

  @Test
  void aFileThatIsNotAModelIsRefusedAtLoading() throws Exception {
    byte[] garbage = "not an onnx model at all".getBytes();
    source.put(garbage);
    deployer.apply(fleet.signDesired(fleet.desiredState(fleet.desiredModel(MODEL, "2", garbage))));
    // the loader's reason is reported (ONNX Runtime's safety check: OrtModelLoaderTest)
    assertRefusedAndV1StillServing("model-malformed");
  }

  @Test
  void aModelRemovedFromTheDesiredStateIsUnloaded() throws Exception {
    ServedModel before = registry.peek(MODEL);
    assertTrue(deployer.apply(fleet.signDesired(fleet.desiredState())));
    assertNull(registry.peek(MODEL));
    assertTrue(before.closed());
    assertTrue(store.current().activeModels().isEmpty());
  }

  @Test
  void aSecondModelIsAddedBesideTheFirstAndOneFailureDoesNotStopTheOther() throws Exception {
    byte[] broken = "broken".getBytes();
    source.put(broken);
    assertTrue(
        deployer.apply(
            fleet.signDesired(
                fleet.desiredState(
                    fleet.desiredModel(MODEL, "1", v1),
                    fleet.desiredModel("other", "1", broken),
                    fleet.desiredModel("third", "7", v2)))));
    assertEquals("7", registry.peek("third").version());
    assertNull(registry.peek("other"));
    assertTrue(
        progress.stream()
            .anyMatch(
                p ->
                    p.getModel().equals("other")
                        && p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED));
    assertEquals(2, store.current().acceptedGeneration());
    assertArrayEquals(v1Output, infer());
  }
}
