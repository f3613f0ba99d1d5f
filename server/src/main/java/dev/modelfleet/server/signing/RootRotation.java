package dev.modelfleet.server.signing;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.Signature;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ModelFleetConfig;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Root rotation: the next root version is signed by a threshold of the current root keys and a
 * threshold of its own, then published. With the root key online the server signs both at once
 * ({@link #rotate}); with it offline an admin makes a draft, signs its pre-authentication encoding
 * elsewhere ({@code deploy/keys/SignRoot.java}) and uploads the signatures until both thresholds
 * are met ({@link #addSignature}). Publishing fires {@link RootPublished}, on which the features
 * that keep signed documents re-sign what the rotated keys signed.
 */
@ApplicationScoped
public class RootRotation {

  private static final Logger LOG = Logger.getLogger(RootRotation.class);

  /** Serializes draft changes across replicas (they share the key directory). */
  private static final long DRAFT_LOCK = 0x6d66_726f_6f74L;

  static final List<String> ROLES = List.of(Dsse.ROLE_ROOT, Dsse.ROLE_TARGETS, Dsse.ROLE_DIRECTOR);

  /**
   * @param rotate roles that get a fresh online key made by this server
   * @param rootKeys PEM public keys that replace the root role's keys (held offline)
   * @param thresholds new thresholds by role
   * @param expiresInDays lifetime of the new version; the configured one when null
   */
  public record Proposal(
      List<String> rotate,
      List<String> rootKeys,
      Map<String, Integer> thresholds,
      Integer expiresInDays) {}

  /** Which root keys must sign, how many, and which have. */
  public record Threshold(List<String> keyIds, int threshold, List<String> signedBy) {
    boolean met() {
      return signedBy.size() >= threshold;
    }
  }

  /** A root version on its way: what to sign, and how far the signatures got. */
  public record Draft(
      long version,
      String payloadType,
      String payloadBase64,
      String payloadSha256,
      RootMetadata metadata,
      Threshold previousRoot,
      Threshold newRoot,
      boolean published) {}

  private final RootMetadataChain roots;
  private final SigningKeys signingKeys;
  private final Event<RootPublished> rootPublished;
  private final ModelFleetConfig config;
  private final Clock clock;

  RootRotation(
      RootMetadataChain roots,
      SigningKeys signingKeys,
      Event<RootPublished> rootPublished,
      ModelFleetConfig config,
      Clock clock) {
    this.roots = roots;
    this.signingKeys = signingKeys;
    this.rootPublished = rootPublished;
    this.config = config;
    this.clock = clock;
  }

  /** Rotates with the root key this server holds, and publishes at once. */
  @Transactional
  public Draft rotate(Proposal proposal) {
    lock();
    if (!roots.rootKeyOnline()) {
      throw ApiError.ROOT_KEY_OFFLINE.exception(
          "This server does not hold the root key(s) of"
              + " root version "
              + roots.currentMetadata().getVersion()
              + "; make a draft"
              + " (POST /api/v1/trust/root/drafts) and sign it offline.");
    }
    RootMetadata previous = roots.currentMetadata();
    SignedEnvelope next = roots.signNextRoot(build(proposal), RootRoles.rootKeyIds(previous));
    Draft status = status(next, previous);
    if (!status.newRoot().met()) {
      throw ApiError.ROOT_KEY_OFFLINE.exception(
          "The new root keys are not held by this server;"
              + " make a draft (POST /api/v1/trust/root/drafts) and sign it with them offline.");
    }
    return publish(next, previous);
  }

  /** A draft of the next version, signed by whatever root keys this server holds. */
  @Transactional
  public Draft draft(Proposal proposal) {
    lock();
    RootMetadata previous = roots.currentMetadata();
    SignedEnvelope next = roots.signNextRoot(build(proposal), RootRoles.rootKeyIds(previous));
    roots.files().saveDraft(next);
    return status(next, previous);
  }

  public Optional<Draft> currentDraft() {
    roots.refresh();
    return roots.files().draft().map(d -> status(d, roots.currentMetadata()));
  }

  @Transactional
  public void discardDraft() {
    lock();
    roots.files().draft().orElseThrow(RootRotation::noDraft);
    roots.files().deleteDraft();
  }

  /**
   * Adds one signature to the draft; publishes it once both thresholds are met. A signature that
   * does not verify, or by a key that is no root key of either version, is refused and the draft
   * stays as it was.
   */
  @Transactional
  public Draft addSignature(Long version, String keyId, String signatureBase64) {
    lock();
    roots.refresh();
    SignedEnvelope draft = roots.files().draft().orElseThrow(RootRotation::noDraft);
    RootMetadata proposed = RootChainFiles.metadata(draft);
    RootMetadata previous = roots.currentMetadata();
    if (version != null && version != proposed.getVersion()) {
      throw ApiError.CONFLICT.exception(
          "The draft is root version "
              + proposed.getVersion()
              + ", not "
              + version
              + "; sign the current draft (GET /api/v1/trust/root/draft).");
    }
    if (proposed.getVersion() != previous.getVersion() + 1) {
      throw ApiError.CONFLICT.exception(
          "Root version "
              + previous.getVersion()
              + " was published"
              + " since this draft of version "
              + proposed.getVersion()
              + " was made; discard it and"
              + " make a new draft.");
    }
    if (keyId == null || signatureBase64 == null) {
      throw ApiError.INVALID_REQUEST.exception("Send {\"keyId\": ..., \"signature\": <base64>}.");
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(signatureBase64);
    } catch (IllegalArgumentException e) {
      throw ApiError.INVALID_REQUEST.exception("'signature' is not base64.");
    }
    PublicKey key =
        rootKey(previous, keyId)
            .or(() -> rootKey(proposed, keyId))
            .orElseThrow(
                () ->
                    ApiError.INVALID_SIGNATURE.exception(
                        "Key "
                            + keyId
                            + " is no root key"
                            + " of version "
                            + previous.getVersion()
                            + " or "
                            + proposed.getVersion()
                            + "."));
    byte[] signed = Dsse.preAuthEncoding(draft.getPayloadType(), draft.getPayload().toByteArray());
    if (!Envelopes.verifies(key, signed, signature)) {
      throw ApiError.INVALID_SIGNATURE.exception(
          "The signature by key "
              + keyId
              + " does not"
              + " verify over the DSSE pre-authentication encoding of draft version "
              + proposed.getVersion()
              + ".");
    }
    SignedEnvelope.Builder updated = draft.toBuilder().clearSignatures();
    draft.getSignaturesList().stream()
        .filter(s -> !s.getKeyId().equals(keyId))
        .forEach(updated::addSignatures);
    updated.addSignatures(
        Signature.newBuilder().setKeyId(keyId).setSignature(ByteString.copyFrom(signature)));
    SignedEnvelope next = updated.build();
    Draft status = status(next, previous);
    if (status.previousRoot().met() && status.newRoot().met()) {
      Draft published = publish(next, previous);
      roots.files().deleteDraft();
      return published;
    }
    roots.files().saveDraft(next);
    return status;
  }

  private Draft publish(SignedEnvelope next, RootMetadata previous) {
    if (!roots.publish(next)) {
      throw ApiError.CONFLICT.exception(
          "Root version "
              + RootChainFiles.version(next)
              + " was published by another server meanwhile; look at GET /api/v1/trust/root.");
    }
    RootMetadata publishedMetadata = RootChainFiles.metadata(next);
    roots.recordPublicKeys();
    rootPublished.fire(new RootPublished(previous, publishedMetadata));
    LOG.infof("root metadata version %d published", publishedMetadata.getVersion());
    Draft status = status(next, previous);
    return new Draft(
        status.version(),
        status.payloadType(),
        status.payloadBase64(),
        status.payloadSha256(),
        status.metadata(),
        status.previousRoot(),
        status.newRoot(),
        true);
  }

  private RootMetadata build(Proposal proposal) {
    List<String> rotate = proposal.rotate() == null ? List.of() : proposal.rotate();
    List<String> rootKeys = proposal.rootKeys() == null ? List.of() : proposal.rootKeys();
    Map<String, Integer> thresholds =
        proposal.thresholds() == null ? Map.of() : proposal.thresholds();
    for (String role : rotate) {
      if (!ROLES.contains(role)) {
        throw ApiError.INVALID_REQUEST.exception(
            "Unknown role '" + role + "' in 'rotate'; roles" + " are " + ROLES + ".");
      }
    }
    for (String role : thresholds.keySet()) {
      if (!ROLES.contains(role)) {
        throw ApiError.INVALID_REQUEST.exception("Unknown role '" + role + "' in 'thresholds'.");
      }
    }
    if (rotate.contains(Dsse.ROLE_ROOT) && !rootKeys.isEmpty()) {
      throw ApiError.INVALID_REQUEST.exception(
          "Give either 'rootKeys' (offline root keys) or"
              + " 'root' in 'rotate' (a new root key held by this server), not both.");
    }
    int days = proposal.expiresInDays() == null ? -1 : proposal.expiresInDays();
    if (proposal.expiresInDays() != null && (days < 1 || days > 3650)) {
      throw ApiError.INVALID_REQUEST.exception("'expiresInDays' must be 1 to 3650.");
    }
    List<PublicKey> newRootKeys = new ArrayList<>();
    for (String pem : rootKeys) {
      newRootKeys.add(parsePem(pem));
    }
    RootMetadata current = roots.currentMetadata();
    // Check every threshold against the keys each role will have before any key is made.
    for (String role : ROLES) {
      int keys =
          rotate.contains(role)
              ? 1
              : role.equals(Dsse.ROLE_ROOT) && !newRootKeys.isEmpty()
                  ? (int) newRootKeys.stream().map(PublicKey::getKeyId).distinct().count()
                  : RootRoles.role(current, role).map(RoleKeys::getKeyIdsCount).orElse(0);
      Integer threshold = thresholds.get(role);
      if (threshold != null && (threshold < 1 || threshold > keys)) {
        throw ApiError.INVALID_REQUEST.exception(
            "The "
                + role
                + " threshold must be 1 to "
                + keys
                + " (the number of "
                + role
                + " keys).");
      }
    }
    RootMetadata.Builder next =
        current.toBuilder()
            .setExpiresAtMs(
                clock
                    .instant()
                    .plus(days > 0 ? Duration.ofDays(days) : config.rootMetadataTtl())
                    .toEpochMilli());
    for (String role : ROLES) {
      Optional<RoleKeys> existing = RootRoles.role(current, role);
      List<PublicKey> keys;
      if (rotate.contains(role)) {
        keys = List.of(signingKeys.create(role));
      } else if (role.equals(Dsse.ROLE_ROOT) && !newRootKeys.isEmpty()) {
        keys = newRootKeys.stream().distinct().toList();
      } else if (existing.isPresent()) {
        keys =
            existing.get().getKeyIdsList().stream().map(id -> RootRoles.key(current, id)).toList();
      } else {
        continue;
      }
      int threshold =
          thresholds.getOrDefault(
              role, Math.min(keys.size(), existing.map(RoleKeys::getThreshold).orElse(1)));
      RootRoles.setRole(next, role, keys, Math.max(1, threshold));
    }
    return next.build();
  }

  private Draft status(SignedEnvelope envelope, RootMetadata previous) {
    RootMetadata proposed = RootChainFiles.metadata(envelope);
    return new Draft(
        proposed.getVersion(),
        envelope.getPayloadType(),
        Base64.getEncoder().encodeToString(envelope.getPayload().toByteArray()),
        Dsse.sha256Hex(envelope.getPayload().toByteArray()),
        proposed,
        threshold(envelope, previous),
        threshold(envelope, proposed),
        false);
  }

  private static Threshold threshold(SignedEnvelope envelope, RootMetadata keysFrom) {
    RoleKeys role = RootRoles.role(keysFrom, Dsse.ROLE_ROOT).orElseThrow();
    Set<String> valid = Envelopes.validSigners(envelope, keysFrom, role);
    return new Threshold(
        role.getKeyIdsList(),
        Math.max(1, role.getThreshold()),
        List.copyOf(new LinkedHashSet<>(valid)));
  }

  private static Optional<PublicKey> rootKey(RootMetadata metadata, String keyId) {
    return RootRoles.role(metadata, Dsse.ROLE_ROOT)
        .filter(r -> r.getKeyIdsList().contains(keyId))
        .map(r -> RootRoles.key(metadata, keyId));
  }

  private static PublicKey parsePem(String pem) {
    try {
      return RootRoles.publicKey(Ed25519Keys.parsePublicKeyPem(pem));
    } catch (IllegalArgumentException e) {
      throw ApiError.INVALID_PUBLIC_KEY.exception(
          "Every entry of 'rootKeys' must be an Ed25519"
              + " public key in PEM (-----BEGIN PUBLIC KEY-----): "
              + e.getMessage());
    }
  }

  private static RuntimeException noDraft() {
    return ApiError.NOT_FOUND.exception(
        "There is no root draft; make one with" + " POST /api/v1/trust/root/drafts.");
  }

  private static void lock() {
    Panache.getEntityManager()
        .createNativeQuery("select pg_advisory_xact_lock(" + DRAFT_LOCK + ")")
        .getSingleResult();
  }
}
