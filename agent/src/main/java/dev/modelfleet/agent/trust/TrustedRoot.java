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
  private final int targetsThreshold;

  private TrustedRoot(RootMetadata metadata, Map<String, java.security.PublicKey> targetsKeys,
      int targetsThreshold) {
    this.metadata = metadata;
    this.targetsKeys = Map.copyOf(targetsKeys);
    this.targetsThreshold = targetsThreshold;
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
    int threshold = 1;
    for (RoleKeys role : metadata.getRolesList()) {
      if (!Dsse.ROLE_TARGETS.equals(role.getRole())) {
        continue;
      }
      threshold = Math.max(threshold, role.getThreshold());
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
    if (targets.size() < threshold) {
      throw new VerificationException("no-targets-key", "the root metadata requires "
          + threshold + " targets signatures but lists only " + targets.size()
          + " usable targets key(s); nothing could verify");
    }
    return new TrustedRoot(metadata, targets, threshold);
  }

  /** How many distinct targets keys must sign a manifest or desired state (at least 1). */
  public int targetsThreshold() {
    return targetsThreshold;
  }

  public Map<String, java.security.PublicKey> targetsKeys() {
    return targetsKeys;
  }

  public long version() {
    return metadata.getVersion();
  }
}
