package dev.modelfleet.agent.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.Signature;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;

/**
 * A small repository simulator: a root key and a targets key made with the JDK, producing the
 * signed documents the server would (root metadata, variant manifests, desired states).
 */
public final class FleetFixture {

  public static final String DEVICE_ID = "dev-0001";

  public final KeyPair root = Ed25519.generate();
  public final KeyPair targets = Ed25519.generate();
  private long generation;

  public byte[] rootKeySpki() {
    return root.getPublic().getEncoded();
  }

  public static String keyId(KeyPair pair) {
    return Dsse.keyId(pair.getPublic().getEncoded());
  }

  public SignedEnvelope rootMetadata() {
    byte[] targetsSpki = targets.getPublic().getEncoded();
    RootMetadata metadata =
        RootMetadata.newBuilder()
            .setVersion(1)
            .setExpiresAtMs(System.currentTimeMillis() + 365L * 24 * 3600 * 1000)
            .addKeys(
                PublicKey.newBuilder()
                    .setKeyId(keyId(root))
                    .setAlgorithm("ed25519")
                    .setPublicKey(ByteString.copyFrom(rootKeySpki())))
            .addKeys(
                PublicKey.newBuilder()
                    .setKeyId(keyId(targets))
                    .setAlgorithm("ed25519")
                    .setPublicKey(ByteString.copyFrom(targetsSpki)))
            .addRoles(
                RoleKeys.newBuilder()
                    .setRole(Dsse.ROLE_ROOT)
                    .addKeyIds(keyId(root))
                    .setThreshold(1))
            .addRoles(
                RoleKeys.newBuilder()
                    .setRole(Dsse.ROLE_TARGETS)
                    .addKeyIds(keyId(targets))
                    .setThreshold(1))
            .build();
    return sign(metadata, Dsse.ROOT_METADATA_TYPE, root);
  }

  public TrustedRoot trustedRoot() {
    try {
      return TrustedRoot.verify(rootMetadata(), rootKeySpki(), System.currentTimeMillis());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static SignedEnvelope sign(MessageLite message, String type, KeyPair key) {
    byte[] payload = message.toByteArray();
    byte[] signature = Ed25519.sign(key.getPrivate(), Dsse.preAuthEncoding(type, payload));
    return SignedEnvelope.newBuilder()
        .setPayload(ByteString.copyFrom(payload))
        .setPayloadType(type)
        .addSignatures(
            Signature.newBuilder()
                .setKeyId(keyId(key))
                .setSignature(ByteString.copyFrom(signature)))
        .build();
  }

  public VariantManifest manifest(String model, String version, byte[] artifact) {
    return VariantManifest.newBuilder()
        .setModel(model)
        .setVersion(version)
        .setVariantId(model + "-" + version + "-cpu-fp32")
        .setPrecision("fp32")
        .setExecutionProvider("cpu")
        .setSha256(Dsse.sha256Hex(artifact))
        .setSize(artifact.length)
        .setCreatedAtMs(System.currentTimeMillis())
        .build();
  }

  public DesiredModel desiredModel(String model, String version, byte[] artifact) {
    return desiredModel(manifest(model, version, artifact));
  }

  public DesiredModel desiredModel(VariantManifest manifest) {
    return DesiredModel.newBuilder()
        .setModel(manifest.getModel())
        .setVersion(manifest.getVersion())
        .setManifest(sign(manifest, Dsse.VARIANT_MANIFEST_TYPE, targets))
        .build();
  }

  /** A fresh desired state (next generation, valid for an hour) for {@link #DEVICE_ID}. */
  public DesiredState.Builder desiredState(DesiredModel... models) {
    return DesiredState.newBuilder()
        .setDeviceId(DEVICE_ID)
        .setGeneration(++generation)
        .setIssuedAtMs(System.currentTimeMillis())
        .setExpiresAtMs(System.currentTimeMillis() + 3_600_000)
        .addAllModels(new ArrayList<>(List.of(models)));
  }

  public SignedEnvelope signDesired(DesiredState.Builder state) {
    return sign(state.build(), Dsse.DESIRED_STATE_TYPE, targets);
  }

  public SignedEnvelope signDesired(DesiredState.Builder state, KeyPair key) {
    return sign(state.build(), Dsse.DESIRED_STATE_TYPE, key);
  }
}
