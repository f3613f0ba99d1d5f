package dev.modelfleet.agent.trust;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fleet's root metadata after it verified (against the pinned root keys, or through the chain
 * of root versions that starts there): the only source of the keys that may sign manifests
 * (targets), desired states (director) and the next root version (root).
 */
public final class TrustedRoot {

  /** One role's usable keys and how many of them must sign. */
  public record Role(Map<String, java.security.PublicKey> keys, int threshold) {
    public Role {
      keys = Map.copyOf(keys);
    }
  }

  private final RootMetadata metadata;
  private final Role root;
  private final Role targets;
  private final Role director;
  private final String directorKeysId;

  private TrustedRoot(RootMetadata metadata) throws VerificationException {
    this.metadata = metadata;
    this.root = role(metadata, Dsse.ROLE_ROOT);
    this.targets = role(metadata, Dsse.ROLE_TARGETS);
    if (targets == null) {
      throw new VerificationException(
          "no-targets-key", "the root metadata lists no usable targets key; nothing could verify");
    }
    // A server that predates the director role signs desired states with its targets keys.
    Role listedDirector = role(metadata, Dsse.ROLE_DIRECTOR);
    this.director = listedDirector != null ? listedDirector : targets;
    this.directorKeysId =
        Dsse.sha256Hex(
            String.join(",", new TreeSet<>(director.keys().keySet()))
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** As {@link #verify(SignedEnvelope, RootPin, long)} with one pinned key (SPKI DER). */
  public static TrustedRoot verify(SignedEnvelope envelope, byte[] pinnedRootKey, long nowMs)
      throws VerificationException {
    return verify(envelope, RootPin.of(pinnedRootKey), nowMs);
  }

  /**
   * The first root version a device trusts, from its pin alone (TUF's trusted root): signed by the
   * pin's threshold of pinned keys, listing every pinned key as a root key, and signed by its own
   * root threshold of its own root keys, as every later version must be. A pinned key that signs a
   * root handing the root role to other keys, or one whose own threshold its signatures do not
   * meet, vouches for nothing. Expiry is checked only when {@code nowMs > 0}: at enrollment a stale
   * root is refused; a stored one keeps working offline at restart.
   */
  public static TrustedRoot verify(SignedEnvelope envelope, RootPin pin, long nowMs)
      throws VerificationException {
    byte[] payload;
    try {
      payload =
          EnvelopeVerifier.verify(
              envelope,
              Dsse.ROOT_METADATA_TYPE,
              pin.publicKeys(),
              pin.threshold(),
              "root metadata");
    } catch (VerificationException e) {
      if (!EnvelopeVerifier.THRESHOLD.equals(e.reasonCode())) {
        throw e;
      }
      throw new VerificationException(
          e.reasonCode(),
          "root metadata is signed by fewer of the"
              + " pinned root keys than the pin's "
              + RootPin.THRESHOLD
              + " of "
              + pin.threshold()
              + "; refused",
          e);
    }
    TrustedRoot trusted = new TrustedRoot(parse(payload));
    String what = "root metadata version " + trusted.version();
    Set<String> listed = trusted.root == null ? Set.of() : trusted.root.keys().keySet();
    for (String pinned : pin.keyIds()) {
      if (!listed.contains(pinned)) {
        throw new VerificationException(
            RootChain.PIN_NOT_LISTED,
            what
                + " does not list the"
                + " pinned key "
                + EnvelopeVerifier.shortId(pinned)
                + " as a root key; a root the"
                + " pinned keys sign must keep them in its root role, or it hands the fleet to"
                + " other keys");
      }
    }
    try {
      EnvelopeVerifier.verify(
          envelope,
          Dsse.ROOT_METADATA_TYPE,
          trusted.root.keys(),
          trusted.root.threshold(),
          what + " (by its own root keys)");
    } catch (VerificationException e) {
      throw new VerificationException(RootChain.SIGNATURE_THRESHOLD, e.getMessage(), e);
    }
    trusted.checkNotExpired(nowMs);
    return trusted;
  }

  /**
   * The next root version, trusted only when it is exactly one version up, signed by this version's
   * root threshold (so that whoever holds the old root keys agreed) and by its own root threshold
   * (so that the new keys are really held). Expiry is not checked here: in a chain only the final
   * version's expiry matters ({@link #checkNotExpired}).
   */
  public TrustedRoot next(SignedEnvelope candidate) throws VerificationException {
    if (!Dsse.ROOT_METADATA_TYPE.equals(candidate.getPayloadType())) {
      throw new VerificationException(
          "payload-type-mismatch",
          "a root update has payload type '" + candidate.getPayloadType() + "'; refused");
    }
    if (root == null) {
      throw new VerificationException(
          RootChain.SIGNATURE_THRESHOLD,
          "the trusted root metadata"
              + " version "
              + version()
              + " lists no root key, so no newer version can verify");
    }
    RootMetadata proposed;
    try {
      proposed = RootMetadata.parseFrom(candidate.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException("malformed", "a root update does not parse", e);
    }
    String what = "root metadata version " + proposed.getVersion();
    try {
      EnvelopeVerifier.verify(
          candidate,
          Dsse.ROOT_METADATA_TYPE,
          root.keys(),
          root.threshold(),
          what + " (by the root keys of version " + version() + ")");
    } catch (VerificationException e) {
      throw new VerificationException(RootChain.SIGNATURE_THRESHOLD, e.getMessage(), e);
    }
    TrustedRoot next = new TrustedRoot(proposed);
    if (next.root == null) {
      throw new VerificationException(
          RootChain.SIGNATURE_THRESHOLD, what + " lists no usable root key; refused");
    }
    try {
      EnvelopeVerifier.verify(
          candidate,
          Dsse.ROOT_METADATA_TYPE,
          next.root.keys(),
          next.root.threshold(),
          what + " (by its own root keys)");
    } catch (VerificationException e) {
      throw new VerificationException(RootChain.SIGNATURE_THRESHOLD, e.getMessage(), e);
    }
    // Checked after the signatures, so that an unsigned document cannot even probe this.
    if (proposed.getVersion() <= version()) {
      throw new VerificationException(
          RootChain.VERSION_ROLLBACK,
          what + " is not newer than the trusted version " + version() + "; refused (rollback)");
    }
    if (proposed.getVersion() != version() + 1) {
      throw new VerificationException(
          RootChain.VERSION_SKIP,
          what
              + " skips versions after "
              + version()
              + "; every version must be delivered in order");
    }
    return next;
  }

  /** When this root metadata expires (epoch ms); 0 when it names no expiry. */
  public long expiresAtMs() {
    return metadata.getExpiresAtMs();
  }

  /**
   * An expired root vouches for no key: the keys it lists may have been revoked by a newer version
   * this device never received (a freeze). {@code nowMs <= 0} skips the check (the stored root at
   * restart, so that the device still connects and can receive a renewed one).
   */
  public void checkNotExpired(long nowMs) throws VerificationException {
    if (nowMs > 0 && metadata.getExpiresAtMs() > 0 && metadata.getExpiresAtMs() < nowMs) {
      throw new VerificationException(
          RootChain.EXPIRED,
          "the fleet root metadata version "
              + version()
              + " expired at "
              + Instant.ofEpochMilli(metadata.getExpiresAtMs())
              + " (this device's clock: "
              + Instant.ofEpochMilli(nowMs)
              + "); the server must send"
              + " a renewed version (with the root key offline an operator signs one: docs/security.md,"
              + " 'Offline root'), or the device clock is wrong");
    }
  }

  private static RootMetadata parse(byte[] payload) throws VerificationException {
    try {
      return RootMetadata.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException("malformed", "root metadata does not parse", e);
    }
  }

  /** Null when the metadata names no usable key for the role. */
  private static Role role(RootMetadata metadata, String name) throws VerificationException {
    Map<String, PublicKey> byId = new HashMap<>();
    for (PublicKey key : metadata.getKeysList()) {
      byId.put(key.getKeyId(), key);
    }
    Map<String, java.security.PublicKey> keys = new HashMap<>();
    int threshold = 1;
    boolean listed = false;
    for (RoleKeys role : metadata.getRolesList()) {
      if (!name.equals(role.getRole())) {
        continue;
      }
      listed = true;
      threshold = Math.max(threshold, role.getThreshold());
      for (String keyId : role.getKeyIdsList()) {
        PublicKey key = byId.get(keyId);
        // A listed key must hash to its id; otherwise the metadata could alias keys.
        if (key == null || !Dsse.keyId(key.getPublicKey().toByteArray()).equals(keyId)) {
          continue;
        }
        try {
          keys.put(keyId, Ed25519.publicKey(key.getPublicKey().toByteArray()));
        } catch (GeneralSecurityException e) {
          // Not an Ed25519 key: it cannot sign anything we accept, so it is simply not trusted.
        }
      }
    }
    if (!listed || keys.isEmpty()) {
      return null;
    }
    if (keys.size() < threshold) {
      throw new VerificationException(
          "no-" + name + "-key",
          "the root metadata requires "
              + threshold
              + " "
              + name
              + " signatures but lists only "
              + keys.size()
              + " usable "
              + name
              + " key(s); nothing could verify");
    }
    return new Role(keys, threshold);
  }

  /** How many distinct targets keys must sign a manifest (at least 1). */
  public int targetsThreshold() {
    return targets.threshold();
  }

  public Map<String, java.security.PublicKey> targetsKeys() {
    return targets.keys();
  }

  /** The keys that sign desired states: the director role's, or targets' when none is listed. */
  public Role director() {
    return director;
  }

  /**
   * Names the director keys; when it changes, generations counted under the old keys no longer bind
   * the device (see {@link DesiredStateVerifier}).
   */
  public String directorKeysId() {
    return directorKeysId;
  }

  public long version() {
    return metadata.getVersion();
  }
}
