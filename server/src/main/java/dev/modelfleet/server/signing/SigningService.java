package dev.modelfleet.server.signing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.modelfleet.agent.v1.PublicKey;
import dev.modelfleet.agent.v1.RoleKeys;
import dev.modelfleet.agent.v1.RootMetadata;
import dev.modelfleet.agent.v1.Signature;
import dev.modelfleet.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.server.common.ModelFleetConfig;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * Holds the fleet's root and targets keys and signs documents as DSSE envelopes. Keys are
 * loaded (or made, on the very first start) at startup so that a broken key directory stops
 * the server at once rather than at the first upload.
 */
@ApplicationScoped
public class SigningService {

  private static final String ROOT_METADATA_FILE = "root-metadata.bin";

  private final ModelFleetConfig config;
  private final Clock clock;
  private SignerKey root;
  private SignerKey targets;
  private SignedEnvelope rootMetadata;

  SigningService(ModelFleetConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  @Transactional
  void onStart(@Observes StartupEvent started) {
    loadKeys();
    recordPublicKeys();
  }

  synchronized void loadKeys() {
    try {
      KeyDirectory dir = new KeyDirectory(config.keyDir());
      root = new SignerKey(dir.loadOrCreate(Dsse.ROLE_ROOT));
      targets = new SignerKey(dir.loadOrCreate(Dsse.ROLE_TARGETS));
      dir.writePublic("root.pub.pem", Ed25519Keys.publicKeyPem(root.spki));
      rootMetadata = loadOrSignRootMetadata(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use key directory " + config.keyDir(), e);
    }
  }

  /**
   * Root metadata lives in the key directory too, so replicas serve the very same document.
   * It is re-signed, one version up, when its keys changed or half its lifetime is gone.
   */
  private SignedEnvelope loadOrSignRootMetadata(KeyDirectory dir) throws IOException {
    SignedEnvelope stored =
        SignedEnvelope.parseFrom(
            dir.loadOrPublish(ROOT_METADATA_FILE, () -> signRootMetadata(1).toByteArray()));
    RootMetadata metadata = RootMetadata.parseFrom(stored.getPayload());
    Instant renewAfter = renewAfter(stored);
    boolean sameKeys =
        metadata.getKeysList().stream().map(PublicKey::getKeyId).toList()
            .equals(java.util.List.of(root.keyId, targets.keyId));
    if (sameKeys && clock.instant().isBefore(renewAfter)) {
      return stored;
    }
    SignedEnvelope renewed = signRootMetadata(metadata.getVersion() + 1);
    dir.replace(ROOT_METADATA_FILE, renewed.toByteArray());
    return renewed;
  }

  /** Records the public keys; replicas starting together may race, hence "do nothing". */
  private void recordPublicKeys() {
    for (var entry : java.util.Map.of(Dsse.ROLE_ROOT, root, Dsse.ROLE_TARGETS, targets).entrySet()) {
      Panache.getEntityManager()
          .createNativeQuery(
              "insert into signing_keys (key_id, role, algorithm, public_key, created_at)"
                  + " values (?1, ?2, 'ed25519', ?3, ?4) on conflict (key_id) do nothing")
          .setParameter(1, entry.getValue().keyId)
          .setParameter(2, entry.getKey())
          .setParameter(3, entry.getValue().spki)
          .setParameter(4, clock.instant())
          .executeUpdate();
    }
  }

  public SignedEnvelope signWithTargets(String payloadType, Message payload) {
    return sign(targets, payloadType, payload.toByteArray());
  }

  /**
   * The current root metadata. A server that keeps running past half its lifetime re-signs it
   * here (or picks up what a replica re-signed), so enrollment never hands out an expired one.
   */
  public synchronized SignedEnvelope rootMetadata() {
    if (!clock.instant().isBefore(renewAfter(rootMetadata))) {
      try {
        rootMetadata = loadOrSignRootMetadata(new KeyDirectory(config.keyDir()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot use key directory " + config.keyDir(), e);
      }
    }
    return rootMetadata;
  }

  private Instant renewAfter(SignedEnvelope envelope) {
    try {
      RootMetadata metadata = RootMetadata.parseFrom(envelope.getPayload());
      return Instant.ofEpochMilli(metadata.getExpiresAtMs()).minus(config.rootMetadataTtl().dividedBy(2));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("root metadata signed here does not parse", e);
    }
  }

  public byte[] rootPublicKey() {
    return root.spki.clone();
  }

  private SignedEnvelope signRootMetadata(long version) {
    Instant expires = clock.instant().plus(config.rootMetadataTtl());
    RootMetadata metadata =
        RootMetadata.newBuilder()
            .setVersion(version)
            .setExpiresAtMs(expires.toEpochMilli())
            .addKeys(root.publicKey())
            .addKeys(targets.publicKey())
            .addRoles(RoleKeys.newBuilder().setRole(Dsse.ROLE_ROOT).addKeyIds(root.keyId).setThreshold(1))
            .addRoles(
                RoleKeys.newBuilder().setRole(Dsse.ROLE_TARGETS).addKeyIds(targets.keyId).setThreshold(1))
            .build();
    return sign(root, Dsse.ROOT_METADATA_TYPE, metadata.toByteArray());
  }

  private static SignedEnvelope sign(SignerKey key, String payloadType, byte[] payload) {
    byte[] signature = Ed25519Keys.sign(key.privateKey, Dsse.preAuthEncoding(payloadType, payload));
    return SignedEnvelope.newBuilder()
        .setPayload(ByteString.copyFrom(payload))
        .setPayloadType(payloadType)
        .addSignatures(
            Signature.newBuilder().setKeyId(key.keyId).setSignature(ByteString.copyFrom(signature)))
        .build();
  }

  private static final class SignerKey {
    final Ed25519PrivateKeyParameters privateKey;
    final byte[] spki;
    final String keyId;

    SignerKey(Ed25519PrivateKeyParameters privateKey) {
      this.privateKey = privateKey;
      this.spki = Ed25519Keys.spki(privateKey.generatePublicKey());
      this.keyId = Dsse.keyId(spki);
    }

    PublicKey publicKey() {
      return PublicKey.newBuilder()
          .setKeyId(keyId)
          .setAlgorithm("ed25519")
          .setPublicKey(ByteString.copyFrom(spki))
          .build();
    }

    @Override
    public String toString() {
      return "SignerKey[" + keyId + "]"; // never the private key
    }
  }
}
