package dev.modelfleet.agent.attack;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.agent.v1.DesiredModel;
import dev.modelfleet.agent.v1.DesiredState;
import dev.modelfleet.agent.v1.PublicKey;
import dev.modelfleet.agent.v1.RoleKeys;
import dev.modelfleet.agent.v1.RootMetadata;
import dev.modelfleet.agent.v1.SignedEnvelope;
import dev.modelfleet.agent.v1.VariantManifest;
import dev.modelfleet.protocol.Dsse;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The server's side of trust, played in the test (as python-tuf's RepositorySimulator does):
 * a root key, several targets keys with a threshold, root metadata that lists them, signed
 * variant manifests and per-device desired states. An attack is a document this simulator
 * signs wrongly, with the wrong keys, for the wrong device, or too late.
 */
final class RepositorySimulator {

  static final String DEVICE = FleetFixture.DEVICE_ID;

  final KeyPair root = Ed25519.generate();
  final List<KeyPair> targets = new ArrayList<>();
  private final List<KeyPair> revoked = new ArrayList<>();
  private final int threshold;
  private long rootVersion = 1;
  private long generation;

  RepositorySimulator(int targetsKeys, int threshold) {
    for (int i = 0; i < targetsKeys; i++) {
      targets.add(Ed25519.generate());
    }
    this.threshold = threshold;
  }

  /** Takes a targets key out of the role: new root metadata (next version) no longer lists it. */
  void revoke(KeyPair key) {
    revoked.add(key);
    rootVersion++;
  }

  List<KeyPair> listedTargets() {
    return targets.stream().filter(k -> !revoked.contains(k)).toList();
  }

  /** What the agent trusts: the current root metadata, verified against the pinned root key. */
  TrustedRoot trustedRoot() {
    RootMetadata.Builder metadata = RootMetadata.newBuilder()
        .setVersion(rootVersion)
        .setExpiresAtMs(System.currentTimeMillis() + 3_600_000);
    RoleKeys.Builder role = RoleKeys.newBuilder().setRole(Dsse.ROLE_TARGETS)
        .setThreshold(threshold);
    for (KeyPair key : listedTargets()) {
      metadata.addKeys(PublicKey.newBuilder().setKeyId(FleetFixture.keyId(key))
          .setAlgorithm("ed25519")
          .setPublicKey(ByteString.copyFrom(key.getPublic().getEncoded())));
      role.addKeyIds(FleetFixture.keyId(key));
    }
    try {
      return TrustedRoot.verify(
          sign(metadata.addRoles(role).build(), Dsse.ROOT_METADATA_TYPE, List.of(root)),
          root.getPublic().getEncoded(), System.currentTimeMillis());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The keys an honest server signs with: the first {@code threshold} listed ones. */
  List<KeyPair> honestKeys() {
    return listedTargets().subList(0, Math.max(1, threshold));
  }

  VariantManifest manifest(String model, String version, byte[] artifact) {
    return VariantManifest.newBuilder()
        .setModel(model).setVersion(version)
        .setVariantId(model + "-" + version + "-cpu-fp32")
        .setPrecision("fp32").setExecutionProvider("cpu")
        .setSha256(Dsse.sha256Hex(artifact)).setSize(artifact.length)
        .setCreatedAtMs(System.currentTimeMillis())
        .build();
  }

  DesiredModel desiredModel(VariantManifest manifest) {
    return DesiredModel.newBuilder().setModel(manifest.getModel())
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
    return signDesired(state, honestKeys());
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
