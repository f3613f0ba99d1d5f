package dev.modelfleet.agent.attack;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The server's side of trust, played in the test (as python-tuf's RepositorySimulator does): root
 * keys, several targets keys with a threshold, optionally a director key, a chain of root metadata
 * versions that list them (each rotation signed by the old and the new root keys), signed variant
 * manifests and per-device desired states. An attack is a document this simulator signs wrongly,
 * with the wrong keys, for the wrong device, or too late.
 */
final class RepositorySimulator {

  static final String DEVICE = FleetFixture.DEVICE_ID;

  /** The first root key: the one every device pins. */
  final KeyPair root = Ed25519.generate();

  /** The root keys of the newest published version, and how many must sign. */
  final List<KeyPair> rootKeys = new ArrayList<>(List.of(root));

  int rootThreshold = 1;

  /** How long the next root version is valid from now. */
  long rootLifetimeMs = 3_600_000;

  final List<KeyPair> targets = new ArrayList<>();

  /** Empty: root metadata has no director role, and desired states are signed by targets. */
  final List<KeyPair> director = new ArrayList<>();

  private final List<KeyPair> revoked = new ArrayList<>();
  private final int threshold;

  /** Every published root version, oldest first (version = index + 1). */
  final List<SignedEnvelope> published = new ArrayList<>();

  private long generation;

  RepositorySimulator(int targetsKeys, int threshold) {
    for (int i = 0; i < targetsKeys; i++) {
      targets.add(Ed25519.generate());
    }
    this.threshold = threshold;
    published.add(rootVersion(1, List.of(root)));
  }

  /**
   * Publishes the next root version after {@code change} (to the key fields above), signed as an
   * honest repository signs a rotation: by the previous root keys and by the new ones.
   */
  SignedEnvelope rotate(Runnable change) {
    List<KeyPair> previous = List.copyOf(rootKeys);
    change.run();
    List<KeyPair> signers = new ArrayList<>(previous);
    rootKeys.stream().filter(k -> !previous.contains(k)).forEach(signers::add);
    SignedEnvelope next = rootVersion(published.size() + 1, signers);
    published.add(next);
    return next;
  }

  /** Takes a targets key out of the role: the next root version no longer lists it. */
  SignedEnvelope revoke(KeyPair key) {
    return rotate(() -> revoked.add(key));
  }

  /** Replaces the director key (adding the director role when there was none). */
  SignedEnvelope rotateDirector() {
    return rotate(
        () -> {
          director.clear();
          director.add(Ed25519.generate());
        });
  }

  List<KeyPair> listedTargets() {
    return targets.stream().filter(k -> !revoked.contains(k)).toList();
  }

  /** Root metadata of the current key fields as {@code version}, signed by {@code signers}. */
  SignedEnvelope rootVersion(long version, List<KeyPair> signers) {
    RootMetadata.Builder metadata =
        RootMetadata.newBuilder()
            .setVersion(version)
            .setExpiresAtMs(System.currentTimeMillis() + rootLifetimeMs);
    metadata.addRoles(role(metadata, Dsse.ROLE_ROOT, rootKeys, rootThreshold));
    metadata.addRoles(role(metadata, Dsse.ROLE_TARGETS, listedTargets(), threshold));
    if (!director.isEmpty()) {
      metadata.addRoles(role(metadata, Dsse.ROLE_DIRECTOR, director, 1));
    }
    return sign(metadata.build(), Dsse.ROOT_METADATA_TYPE, signers);
  }

  private static RoleKeys role(
      RootMetadata.Builder metadata, String name, List<KeyPair> keys, int threshold) {
    RoleKeys.Builder role = RoleKeys.newBuilder().setRole(name).setThreshold(threshold);
    for (KeyPair key : keys) {
      if (metadata.getKeysList().stream()
          .noneMatch(k -> k.getKeyId().equals(FleetFixture.keyId(key)))) {
        metadata.addKeys(
            PublicKey.newBuilder()
                .setKeyId(FleetFixture.keyId(key))
                .setAlgorithm("ed25519")
                .setPublicKey(ByteString.copyFrom(key.getPublic().getEncoded())));
      }
      role.addKeyIds(FleetFixture.keyId(key));
    }
    return role.build();
  }

  /** What a device trusts right after enrollment: version 1, through its pinned root key. */
  RootChain enrolledChain(java.nio.file.Path file) {
    try {
      return RootChain.walk(
          List.of(published.get(0)),
          root.getPublic().getEncoded(),
          System.currentTimeMillis(),
          file);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The keys an honest server signs manifests with: the first {@code threshold} listed ones. */
  List<KeyPair> honestKeys() {
    return listedTargets().subList(0, Math.max(1, threshold));
  }

  /** The keys an honest server signs desired states with: director's, else targets'. */
  List<KeyPair> honestDesiredKeys() {
    return director.isEmpty() ? honestKeys() : List.copyOf(director);
  }

  VariantManifest manifest(String model, String version, byte[] artifact) {
    return VariantManifest.newBuilder()
        .setModel(model)
        .setVersion(version)
        .setVariantId(model + "-" + version + "-cpu-fp32")
        .setPrecision("fp32")
        .setExecutionProvider("cpu")
        .setSha256(Dsse.sha256Hex(artifact))
        .setSize(artifact.length)
        .setCreatedAtMs(System.currentTimeMillis())
        .setTargetsVersion(1)
        .setExpiresAtMs(System.currentTimeMillis() + 3_600_000)
        .build();
  }

  /**
   * The manifest as the server re-signs it (renewal before expiry, targets rotation): same variant
   * and bytes, {@code targetsVersion}, valid for {@code validForMs} from now (negative: already
   * expired).
   */
  VariantManifest resigned(VariantManifest manifest, long targetsVersion, long validForMs) {
    return manifest.toBuilder()
        .setTargetsVersion(targetsVersion)
        .setExpiresAtMs(System.currentTimeMillis() + validForMs)
        .build();
  }

  DesiredModel desiredModel(VariantManifest manifest) {
    return DesiredModel.newBuilder()
        .setModel(manifest.getModel())
        .setVersion(manifest.getVersion())
        .setManifest(sign(manifest, Dsse.VARIANT_MANIFEST_TYPE, honestKeys()))
        .build();
  }

  /** The next generation's document for {@link #DEVICE}, valid for an hour. */
  DesiredState.Builder desiredState(DesiredModel... models) {
    return DesiredState.newBuilder()
        .setDeviceId(DEVICE)
        .setGeneration(++generation)
        .setIssuedAtMs(System.currentTimeMillis())
        .setExpiresAtMs(System.currentTimeMillis() + 3_600_000)
        .addAllModels(Arrays.asList(models));
  }

  SignedEnvelope signDesired(DesiredState.Builder state) {
    return signDesired(state, honestDesiredKeys());
  }

  SignedEnvelope signDesired(DesiredState.Builder state, List<KeyPair> keys) {
    return sign(state.build(), Dsse.DESIRED_STATE_TYPE, keys);
  }

  static SignedEnvelope sign(MessageLite message, String type, List<KeyPair> keys) {
    SignedEnvelope.Builder envelope = FleetFixture.sign(message, type, keys.get(0)).toBuilder();
    for (KeyPair key : keys.subList(1, keys.size())) {
      envelope.addSignatures(FleetFixture.sign(message, type, key).getSignatures(0));
    }
    return envelope.build();
  }
}
