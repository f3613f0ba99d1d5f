package dev.modelfleet.agent.trust;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.agent.v1.PublicKey;
import dev.modelfleet.agent.v1.RoleKeys;
import dev.modelfleet.agent.v1.RootMetadata;
import dev.modelfleet.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.Dsse;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;

/**
 * The fleet's root metadata after it verified against the pinned root key: the only source of
 * the targets keys that may sign manifests and desired states.
 */
public final class TrustedRoot {

  private final RootMetadata metadata;
  private final Map<String, java.security.PublicKey> targetsKeys;

  private TrustedRoot(RootMetadata metadata, Map<String, java.security.PublicKey> targetsKeys) {
    this.metadata = metadata;
    this.targetsKeys = Map.copyOf(targetsKeys);
  }

  /**
   * Verifies {@code envelope} with the pinned root key (SPKI DER) and extracts the targets keys.
   * Expiry is checked only when {@code nowMs > 0}: at enrollment, a stale root is refused; later
   * the stored copy keeps working offline.
   */
  public static TrustedRoot verify(SignedEnvelope envelope, byte[] pinnedRootKey, long nowMs)
      throws VerificationException {
    java.security.PublicKey rootKey;
    try {
      rootKey = Ed25519.publicKey(pinnedRootKey);
    } catch (GeneralSecurityException e) {
      throw new VerificationException("root-key-invalid", "the pinned root key is not Ed25519", e);
    }
    byte[] payload =
        EnvelopeVerifier.verify(
            envelope,
            Dsse.ROOT_METADATA_TYPE,
            Map.of(Dsse.keyId(pinnedRootKey), rootKey),
            "root metadata");
    RootMetadata metadata;
    try {
      metadata = RootMetadata.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException("malformed", "root metadata does not parse", e);
    }
    if (nowMs > 0 && metadata.getExpiresAtMs() > 0 && metadata.getExpiresAtMs() < nowMs) {
      throw new VerificationException(
          "root-expired", "the fleet root metadata expired; the server must re-sign it");
    }
    Map<String, PublicKey> byId = new HashMap<>();
    for (PublicKey key : metadata.getKeysList()) {
      byId.put(key.getKeyId(), key);
    }
    Map<String, java.security.PublicKey> targets = new HashMap<>();
    for (RoleKeys role : metadata.getRolesList()) {
      if (!Dsse.ROLE_TARGETS.equals(role.getRole())) {
        continue;
      }
      for (String keyId : role.getKeyIdsList()) {
        PublicKey key = byId.get(keyId);
        // A listed key must hash to its id; otherwise the metadata could alias keys.
        if (key == null || !Dsse.keyId(key.getPublicKey().toByteArray()).equals(keyId)) {
          continue;
        }
        try {
          targets.put(keyId, Ed25519.publicKey(key.getPublicKey().toByteArray()));
        } catch (GeneralSecurityException e) {
          // Not an Ed25519 key: it cannot sign anything we accept, so it is simply not trusted.
        }
      }
    }
    if (targets.isEmpty()) {
      throw new VerificationException(
          "no-targets-key", "the root metadata lists no usable targets key; nothing could verify");
    }
    return new TrustedRoot(metadata, targets);
  }

  public Map<String, java.security.PublicKey> targetsKeys() {
    return targetsKeys;
  }

  public long version() {
    return metadata.getVersion();
  }
}
