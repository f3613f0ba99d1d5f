package dev.modelfleet.agent.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.attack.ArtifactServer.Transport;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.testing.FakeModelLoader;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The attacks of TUF's and Uptane's threat models, one test each, against a device that already
 * serves "classifier" version 1: every test asserts the agent's specific refusal (its reason code)
 * and that version 1 still answers inference with the same output. The repository (targets
 * threshold 2 of 3 keys) and the artifact server are simulated in the test; the agent's
 * verification, download, smoke test and swap are the real ones. The models are the test kit's
 * fakes, as ONNX Runtime adds nothing to these rules; HostileModelAttackTest runs the attacks that
 * loading is part of on ONNX Runtime.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class AttackSuiteTest {

  static final String MODEL = "classifier";

  @TempDir Path stateDir;
  final RepositorySimulator repository = new RepositorySimulator(3, 2);
  final byte[] v1 = FakeModelLoader.model(1);

  /** Tens of KB, so that a trickle is caught before it ends. */
  final byte[] v2 = FakeModelLoader.model(2, 64 << 10);

  ArtifactServer server;
  Transport transport = Transport.HTTP;
  DeviceUnderAttack device;
  float[] v1Output;

  @BeforeEach
  void deviceServesVersionOne() throws Exception {
    server = new ArtifactServer();
    server.put(v1);
    server.put(v2);
    Map<Transport, ArtifactSource> sources = new EnumMap<>(Transport.class);
    for (Transport t : Transport.values()) {
      sources.put(t, server.source(t));
    }
    device =
        new DeviceUnderAttack(
            stateDir,
            repository,
            (sha, offset, consumer) -> sources.get(transport).fetch(sha, offset, consumer),
            new FakeModelLoader());
    assertTrue(
        device.apply(
            repository.signDesired(
                repository.desiredState(
                    repository.desiredModel(repository.manifest(MODEL, "1", v1))))));
    v1Output = device.infer(MODEL);
  }

  @AfterEach
  void close() {
    device.close();
    server.close();
  }

  DesiredState.Builder v2State() {
    return repository.desiredState(repository.desiredModel(repository.manifest(MODEL, "2", v2)));
  }

  void assertRefusedAndVersionOneServes(String reasonCode) throws Exception {
    DeploymentProgress failure = device.failure();
    assertEquals(reasonCode, failure.getReasonCode(), failure.getReason());
    assertFalse(failure.getReason().isBlank());
    assertEquals("1", device.registry.peek(MODEL).version());
    assertArrayEquals(v1Output, device.infer(MODEL), "version 1 answers as before");
    assertEquals(Dsse.sha256Hex(v1), device.store.current().active(MODEL).sha256());
  }

  void assertNothingOfVersionTwoOnDisk() {
    String sha = Dsse.sha256Hex(v2);
    assertFalse(Files.exists(device.store.artifact(sha)), "no verified file");
    assertFalse(Files.exists(device.store.partial(sha)), "no partial file kept");
  }

  // Arbitrary installation: a document the repository's keys did not sign.

  @Test
  void arbitraryInstallWithoutSignatureIsRefused() throws Exception {
    SignedEnvelope unsigned =
        repository.signDesired(v2State()).toBuilder().clearSignatures().build();
    assertFalse(device.apply(unsigned));
    assertRefusedAndVersionOneServes("signature-missing");
  }

  @Test
  void arbitraryInstallSignedByUnknownKeysIsRefused() throws Exception {
    assertFalse(
        device.apply(
            repository.signDesired(v2State(), List.of(Ed25519.generate(), Ed25519.generate()))));
    assertRefusedAndVersionOneServes("unknown-key");
  }

  @Test
  void arbitraryInstallByAlteringASignedDocumentIsRefused() throws Exception {
    SignedEnvelope honest = repository.signDesired(v2State());
    DesiredState altered =
        DesiredState.parseFrom(honest.getPayload()).toBuilder().setGeneration(1_000).build();
    assertFalse(device.apply(honest.toBuilder().setPayload(altered.toByteString()).build()));
    assertRefusedAndVersionOneServes("signature-invalid");
  }

  @Test
  void arbitraryInstallThroughAForgedManifestIsRefused() throws Exception {
    VariantManifest manifest = repository.manifest(MODEL, "2", v2);
    DesiredModel forged =
        DesiredModel.newBuilder()
            .setModel(MODEL)
            .setVersion("2")
            .setManifest(
                RepositorySimulator.sign(
                    manifest, Dsse.VARIANT_MANIFEST_TYPE, List.of(Ed25519.generate())))
            .build();
    device.apply(repository.signDesired(repository.desiredState(forged)));
    assertRefusedAndVersionOneServes("unknown-key");
  }

  // Rollback: an old, validly signed document replayed.

  @Test
  void rollbackToAnOlderGenerationIsRefused() throws Exception {
    SignedEnvelope older = repository.signDesired(v2State());
    assertTrue(
        device.apply(
            repository.signDesired(
                repository.desiredState(
                    repository.desiredModel(repository.manifest(MODEL, "1", v1))))));
    assertFalse(device.apply(older));
    assertRefusedAndVersionOneServes("generation-rollback");
  }

  // Indefinite freeze: updates withheld, an expired document served instead.

  @Test
  void indefiniteFreezeWithAnExpiredDocumentIsRefusedAndReportedStale() throws Exception {
    long accepted = device.store.current().acceptedGeneration();
    assertFalse(
        device.apply(
            repository.signDesired(v2State().setExpiresAtMs(System.currentTimeMillis() - 1))));
    assertRefusedAndVersionOneServes("desired-state-expired");
    assertTrue(device.failure().getReason().contains("stale"), device.failure().getReason());
    assertEquals(accepted, device.store.current().acceptedGeneration());
  }

  // Freeze and rollback of targets metadata: variant manifests carry a version and an expiry.

  @Test
  void anExpiredManifestIsRefusedBeforeAnyDownloadAndReportedStale() throws Exception {
    long sentBefore = server.bytesSent();
    VariantManifest expired = repository.resigned(repository.manifest(MODEL, "2", v2), 1, -1);
    assertTrue(
        device.apply(
            repository.signDesired(repository.desiredState(repository.desiredModel(expired)))),
        "the document itself is fresh and accepted");
    assertRefusedAndVersionOneServes("manifest-expired");
    assertTrue(device.failure().getReason().contains("stale"), device.failure().getReason());
    assertEquals(sentBefore, server.bytesSent(), "not a byte was fetched");
    assertNothingOfVersionTwoOnDisk();
  }

  @Test
  void anOlderManifestOfTheRunningVariantIsRefused() throws Exception {
    VariantManifest installed = repository.manifest(MODEL, "1", v1);
    assertTrue(
        device.apply(
            repository.signDesired(
                repository.desiredState(
                    repository.desiredModel(repository.resigned(installed, 3, 3_600_000))))));
    assertEquals(3, device.store.current().active(MODEL).targetsVersion());
    // version 2 was validly signed once and has not expired: only the version gives it away
    device.apply(
        repository.signDesired(
            repository.desiredState(
                repository.desiredModel(repository.resigned(installed, 2, 3_600_000)))));
    assertRefusedAndVersionOneServes("manifest-rollback");
    assertEquals(3, device.store.current().active(MODEL).targetsVersion(), "the floor stays");
  }

  @Test
  void aRenewedManifestOfTheBytesInServiceIsAcceptedWithoutADownload() throws Exception {
    long sentBefore = server.bytesSent();
    VariantManifest renewed =
        repository.resigned(repository.manifest(MODEL, "1", v1), 2, 7_200_000);
    assertTrue(
        device.apply(
            repository.signDesired(repository.desiredState(repository.desiredModel(renewed)))));
    assertTrue(
        device.progress.stream()
            .noneMatch(p -> p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED),
        device.progress.toString());
    assertEquals(sentBefore, server.bytesSent(), "the bytes in service are not fetched again");
    assertEquals(2, device.store.current().active(MODEL).targetsVersion());
    assertArrayEquals(v1Output, device.infer(MODEL));
  }

  // Endless data: an artifact longer than its signed size.

  @ParameterizedTest
  @EnumSource(Transport.class)
  void endlessDataIsCutAtTheSignedSizeAndDiscarded(Transport path) throws Exception {
    transport = path;
    server.endless(true);
    device.apply(repository.signDesired(v2State()));
    assertRefusedAndVersionOneServes("size-exceeded");
    assertNothingOfVersionTwoOnDisk();
  }

  // Slow retrieval: a server trickling bytes to keep the device on what it has.

  @ParameterizedTest
  @EnumSource(Transport.class)
  void slowRetrievalIsAbandonedAndRetriedLater(Transport path) throws Exception {
    transport = path;
    server.throttle(4 * 1024);
    SignedEnvelope document = repository.signDesired(v2State());
    device.apply(document);
    assertRefusedAndVersionOneServes("download-too-slow");

    server.throttle(0);
    assertTrue(device.apply(document), "the same document is applied again later");
    assertEquals("2", device.registry.peek(MODEL).version(), device.progress.toString());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aDownloadThatStallsCompletelyIsAbandonedWithinAWindow(Transport path) throws Exception {
    transport = path;
    server.throttle(1);
    long started = System.nanoTime();
    device.apply(repository.signDesired(v2State()));
    assertRefusedAndVersionOneServes("download-too-slow");
    assertTrue(
        System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5),
        "abandoned after about a window per attempt, not after the 60 s read timeout");
  }

  // Mix-and-match: valid documents combined in a way the repository never signed.

  @Test
  void mixAndMatchWithAnotherDevicesDocumentIsRefused() throws Exception {
    assertFalse(device.apply(repository.signDesired(v2State().setDeviceId("dev-other"))));
    assertRefusedAndVersionOneServes("wrong-device");
  }

  @Test
  void mixAndMatchWithAnotherModelsManifestIsRefused() throws Exception {
    DesiredModel otherModel = repository.desiredModel(repository.manifest("detector", "2", v2));
    device.apply(
        repository.signDesired(
            repository.desiredState(otherModel.toBuilder().setModel(MODEL).build())));
    assertRefusedAndVersionOneServes("manifest-mismatch");
  }

  // Wrong software: a validly signed variant built for other hardware.

  @Test
  void aVariantForOtherHardwareIsRefusedBeforeAnyDownload() throws Exception {
    long sentBefore = server.bytesSent();
    VariantManifest arm =
        repository.manifest(MODEL, "2", v2).toBuilder()
            .setArch("aarch64")
            .addRequiredCpuFlags("asimddp")
            .build();
    device.apply(repository.signDesired(repository.desiredState(repository.desiredModel(arm))));
    assertRefusedAndVersionOneServes("hardware-mismatch");
    assertEquals(sentBefore, server.bytesSent(), "not a byte was fetched");
  }

  // Key compromise below the threshold, and a revoked key.

  @Test
  void oneCompromisedTargetsKeyOfAThresholdOfTwoIsNotEnough() throws Exception {
    KeyPair stolen = repository.targets.get(0);
    assertFalse(device.apply(repository.signDesired(v2State(), List.of(stolen))));
    assertRefusedAndVersionOneServes("signature-threshold");
    assertFalse(
        device.apply(repository.signDesired(v2State(), List.of(stolen, stolen))),
        "one key signing twice counts once");
    assertRefusedAndVersionOneServes("signature-threshold");
  }

  @Test
  void aKeyRevokedThroughARootRotationNoLongerCounts() throws Exception {
    KeyPair revoked = repository.targets.get(1);
    assertTrue(device.rootUpdate(repository.revoke(revoked)), device.progress.toString());
    assertEquals(2, device.roots.current().version());
    assertFalse(
        device.apply(
            repository.signDesired(v2State(), List.of(revoked, repository.targets.get(2)))));
    assertRefusedAndVersionOneServes("signature-threshold");
    assertFalse(device.apply(repository.signDesired(v2State(), List.of(revoked))));
    assertRefusedAndVersionOneServes("unknown-key");
    // the keys still listed go on working
    assertTrue(
        device.apply(
            repository.signDesired(
                v2State(), List.of(repository.targets.get(0), repository.targets.get(2)))));
  }

  // Root rotation and the director role.

  @Test
  void aDesiredStateSignedByTheWrongRoleIsRefused() throws Exception {
    assertTrue(device.rootUpdate(repository.rotateDirector()));
    assertFalse(
        device.apply(repository.signDesired(v2State(), repository.honestKeys())),
        "targets keys may sign manifests, not desired states, once a director role exists");
    assertRefusedAndVersionOneServes("unknown-key");
    DesiredModel manifestByDirector =
        DesiredModel.newBuilder()
            .setModel(MODEL)
            .setVersion("2")
            .setManifest(
                RepositorySimulator.sign(
                    repository.manifest(MODEL, "2", v2),
                    Dsse.VARIANT_MANIFEST_TYPE,
                    repository.director))
            .build();
    device.apply(repository.signDesired(repository.desiredState(manifestByDirector)));
    assertRefusedAndVersionOneServes("unknown-key");
  }

  @Test
  void fastForwardAttackIsUndoneByRotatingTheStolenDirectorKey() throws Exception {
    assertTrue(device.rootUpdate(repository.rotateDirector()));
    List<KeyPair> stolen = List.copyOf(repository.director);
    SignedEnvelope attack =
        repository.signDesired(
            repository
                .desiredState(repository.desiredModel(repository.manifest(MODEL, "1", v1)))
                .setGeneration(1_000_000),
            stolen);
    assertTrue(device.apply(attack), "validly signed: the device cannot tell");
    assertEquals(1_000_000, device.store.current().acceptedGeneration());
    // the server's own documents are now "old" and refused
    SignedEnvelope honestBefore = repository.signDesired(v2State());
    assertFalse(device.apply(honestBefore));
    assertRefusedAndVersionOneServes("generation-rollback");

    assertTrue(device.rootUpdate(repository.rotateDirector()), device.progress.toString());
    assertTrue(
        device.apply(repository.signDesired(v2State())),
        "the server's real, lower generation signed by the new key: " + device.progress);
    assertEquals("2", device.registry.peek(MODEL).version());
    assertFalse(device.apply(attack), "the attacker's document replayed");
    assertEquals("unknown-key", device.failure().getReasonCode());
    assertEquals("2", device.registry.peek(MODEL).version());
  }

  @Test
  void aRootRotationSignedOnlyByTheNewRootKeysIsRefused() throws Exception {
    KeyPair newRoot = Ed25519.generate();
    repository.rootKeys.set(0, newRoot);
    SignedEnvelope selfSigned = repository.rootVersion(2, List.of(newRoot));
    assertFalse(device.rootUpdate(selfSigned));
    assertRootRefused(RootChain.SIGNATURE_THRESHOLD);
    // and one signed only by the old keys does not prove the new keys are held
    assertFalse(device.rootUpdate(repository.rootVersion(2, List.of(repository.root))));
    assertRootRefused(RootChain.SIGNATURE_THRESHOLD);
    assertTrue(device.rootUpdate(repository.rootVersion(2, List.of(repository.root, newRoot))));
  }

  @Test
  void aRootVersionSkippingOrGoingBackIsRefused() throws Exception {
    SignedEnvelope second = repository.rotateDirector();
    SignedEnvelope third = repository.revoke(repository.targets.get(2));
    assertFalse(device.rootUpdate(third), "version 3 right after 1");
    assertRootRefused(RootChain.VERSION_SKIP);
    assertTrue(device.rootUpdate(second, third));
    assertEquals(3, device.roots.current().version());
    assertFalse(device.rootUpdate(second), "version 2 again after 3");
    assertRootRefused(RootChain.VERSION_ROLLBACK);
    // a restart trusts what was accepted, not less
    Path chainFile = stateDir.resolve(RootChain.CHAIN_FILE);
    assertEquals(
        3,
        RootChain.walk(
                RootChain.read(chainFile), repository.root.getPublic().getEncoded(), 0, chainFile)
            .current()
            .version());
  }

  // Freeze of root metadata: the root a device trusts expires (not renewed, or renewals withheld).

  @Test
  void anExpiredRootMakesDesiredStatesRefusedUntilARenewedRootArrives() throws Exception {
    long hour = 3_600_000;
    // two hours on: root version 1 (valid for one) has expired; the documents have not
    device.clockAheadMs.set(2 * hour);
    DesiredState.Builder state =
        repository
            .desiredState(
                repository.desiredModel(
                    repository.resigned(repository.manifest(MODEL, "2", v2), 1, 4 * hour)))
            .setExpiresAtMs(System.currentTimeMillis() + 4 * hour);
    SignedEnvelope document = repository.signDesired(state);

    assertFalse(device.apply(document), "validly signed, but by keys an expired root vouches for");
    assertRefusedAndVersionOneServes(RootChain.EXPIRED);
    assertTrue(
        device.failure().getReason().contains("root metadata version 1 expired at"),
        device.failure().getReason());
    assertEquals(
        1,
        device.store.current().acceptedGeneration(),
        "the refused document's generation is not taken as accepted");

    // the server renews the root (one version up, valid longer): the same document goes through
    assertTrue(
        device.rootUpdate(repository.rotate(() -> repository.rootLifetimeMs = 4 * hour)),
        device.progress.toString());
    assertTrue(device.apply(document), device.progress.toString());
    assertEquals("2", device.registry.peek(MODEL).version());
  }

  /** A refused root update: reported with its code, the old root and model kept. */
  void assertRootRefused(String reasonCode) throws Exception {
    long before = device.roots.current().version();
    assertRefusedAndVersionOneServes(reasonCode);
    assertEquals(before, device.roots.current().version());
  }

  // Tampered artifact bytes: one bit flipped at the start, in the middle, at the end.

  @ParameterizedTest
  @ValueSource(strings = {"start", "middle", "end"})
  void tamperedArtifactBytesAreRefused(String where) throws Exception {
    byte[] tampered = v2.clone();
    int at =
        switch (where) {
          case "start" -> 0;
          case "middle" -> tampered.length / 2;
          default -> tampered.length - 1;
        };
    tampered[at] ^= 0x01;
    server.putAs(Dsse.sha256Hex(v2), tampered);
    device.apply(repository.signDesired(v2State()));
    assertRefusedAndVersionOneServes("sha256-mismatch");
    assertNothingOfVersionTwoOnDisk();
  }
}
