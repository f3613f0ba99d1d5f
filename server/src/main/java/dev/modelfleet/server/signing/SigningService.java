package dev.modelfleet.server.signing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.Signature;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.common.ModelFleetConfig;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.jboss.logging.Logger;

/**
 * Holds the fleet's online keys and the chain of root metadata, and signs documents as DSSE
 * envelopes: variant manifests with the targets keys, desired states with the director keys, new
 * root versions with whatever root keys the key directory holds. The root key may be offline
 * (absent from the key directory): the server then serves the stored chain and can publish a new
 * root version only with signatures made elsewhere ({@link RootRotation}).
 *
 * <p>Which key signs for a role is decided by the current root metadata, never by a file name: the
 * key directory may hold retired keys too. Keys are loaded (or made, on the very first start) at
 * startup so that a broken key directory stops the server at once.
 */
@ApplicationScoped
public class SigningService {

  private static final Logger LOG = Logger.getLogger(SigningService.class);

  /** Where servers before root rotation kept their one root metadata document. */
  static final String LEGACY_ROOT_METADATA_FILE = "root-metadata.bin";

  private final ModelFleetConfig config;
  private final Clock clock;
  private KeyDirectory dir;
  private RootChainFiles files;
  private volatile Map<String, Ed25519PrivateKeyParameters> keys = Map.of();

  /** The chain and its newest version parsed once, swapped as one value. */
  private record Roots(List<SignedEnvelope> chain, RootMetadata current) {
    static Roots of(List<SignedEnvelope> chain) {
      return new Roots(List.copyOf(chain), RootChainFiles.metadata(chain.get(chain.size() - 1)));
    }

    SignedEnvelope newest() {
      return chain.get(chain.size() - 1);
    }
  }

  private volatile Roots roots;
  private volatile Instant warnedAt;
  private volatile Instant loggedAt;

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
      dir = new KeyDirectory(config.keyDir());
      files = new RootChainFiles(dir);
      if (files.load().isEmpty()) {
        publishFirstVersion();
      }
      roots = Roots.of(files.load());
      keys = dir.loadAll();
      renewIfDue();
      dir.writePublic("root.pub.pem", rootPinPem());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use key directory " + config.keyDir(), e);
    }
  }

  /** A server from before root rotation kept one document: it becomes the chain's start. */
  private void publishFirstVersion() throws IOException {
    Path legacy = dir.path().resolve(LEGACY_ROOT_METADATA_FILE);
    if (Files.exists(legacy)) {
      files.publish(SignedEnvelope.parseFrom(Files.readAllBytes(legacy)));
      return;
    }
    Ed25519PrivateKeyParameters root = dir.loadOrCreate(Dsse.ROLE_ROOT);
    Ed25519PrivateKeyParameters targets = dir.loadOrCreate(Dsse.ROLE_TARGETS);
    Ed25519PrivateKeyParameters director = dir.loadOrCreate(Dsse.ROLE_DIRECTOR);
    RootMetadata.Builder first =
        RootMetadata.newBuilder()
            .setVersion(1)
            .setExpiresAtMs(clock.instant().plus(config.rootMetadataTtl()).toEpochMilli());
    setRole(first, Dsse.ROLE_ROOT, List.of(publicKey(root)), 1);
    setRole(first, Dsse.ROLE_TARGETS, List.of(publicKey(targets)), 1);
    setRole(first, Dsse.ROLE_DIRECTOR, List.of(publicKey(director)), 1);
    files.publish(
        sign(
            Dsse.ROOT_METADATA_TYPE,
            first.build().toByteArray(),
            Map.of(publicKey(root).getKeyId(), root)));
  }

  /**
   * Re-signs root metadata one version up, with the same root keys, when half its lifetime is gone
   * or it names no director yet, if this server holds the root keys; otherwise warns.
   */
  private void renewIfDue() throws IOException {
    RootMetadata current = currentMetadata();
    boolean noDirector = role(current, Dsse.ROLE_DIRECTOR).isEmpty();
    if (!noDirector && clock.instant().isBefore(renewAfter(current))) {
      return;
    }
    keys = dir.loadAll(); // root.key may have been taken offline (or brought back) meanwhile
    if (!holdsThreshold(current, role(current, Dsse.ROLE_ROOT).orElseThrow())) {
      warnRootOffline(current, noDirector);
      return;
    }
    RootMetadata.Builder next =
        current.toBuilder()
            .setExpiresAtMs(clock.instant().plus(config.rootMetadataTtl()).toEpochMilli());
    if (noDirector) {
      Ed25519PrivateKeyParameters director = dir.loadOrCreate(Dsse.ROLE_DIRECTOR);
      keys = dir.loadAll();
      setRole(next, Dsse.ROLE_DIRECTOR, List.of(publicKey(director)), 1);
    }
    SignedEnvelope renewed = signNextRoot(next.build(), rootKeyIds(current));
    if (files.publish(renewed)) {
      LOG.infof(
          "root metadata renewed as version %d, valid until %s",
          RootChainFiles.version(renewed),
          Instant.ofEpochMilli(RootChainFiles.metadata(renewed).getExpiresAtMs()));
    }
    roots = Roots.of(files.load());
  }

  private void warnRootOffline(RootMetadata current, boolean noDirector) {
    Instant now = clock.instant();
    if (loggedAt == null || now.isAfter(loggedAt.plusSeconds(3600))) {
      loggedAt = now;
      LOG.warnf(
          "root metadata version %d expires at %s%s, and the root key is offline (not in %s):"
              + " sign a new version offline (docs/security.md, 'Offline root')",
          current.getVersion(),
          Instant.ofEpochMilli(current.getExpiresAtMs()),
          noDirector ? " and names no director role" : "",
          config.keyDir());
    }
    if (warnedAt == null || now.isAfter(warnedAt.plusSeconds(60))) {
      warnedAt = now;
    }
  }

  /** Records the public keys; replicas starting together may race, hence "do nothing". */
  void recordPublicKeys() {
    RootMetadata current = currentMetadata();
    for (RoleKeys role : current.getRolesList()) {
      for (String keyId : role.getKeyIdsList()) {
        PublicKey key = key(current, keyId);
        Panache.getEntityManager()
            .createNativeQuery(
                "insert into signing_keys (key_id, role, algorithm, public_key, created_at)"
                    + " values (?1, ?2, 'ed25519', ?3, ?4) on conflict (key_id) do nothing")
            .setParameter(1, keyId)
            .setParameter(2, role.getRole())
            .setParameter(3, key.getPublicKey().toByteArray())
            .setParameter(4, clock.instant())
            .executeUpdate();
      }
    }
  }

  public SignedEnvelope signWithTargets(String payloadType, Message payload) {
    return signAs(Dsse.ROLE_TARGETS, payloadType, payload.toByteArray());
  }

  /** Desired states: the director role's keys (targets' when root metadata names none). */
  public SignedEnvelope signWithDirector(String payloadType, Message payload) {
    boolean hasDirector = role(currentMetadata(), Dsse.ROLE_DIRECTOR).isPresent();
    return signAs(
        hasDirector ? Dsse.ROLE_DIRECTOR : Dsse.ROLE_TARGETS, payloadType, payload.toByteArray());
  }

  SignedEnvelope signAs(String roleName, String payloadType, byte[] payload) {
    RootMetadata current = currentMetadata();
    RoleKeys role =
        role(current, roleName)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "root metadata version "
                            + current.getVersion()
                            + " names no "
                            + roleName
                            + " role"));
    Map<String, Ed25519PrivateKeyParameters> held = held(role.getKeyIdsList());
    int needed = Math.max(1, role.getThreshold());
    if (held.size() < needed) {
      throw new IllegalStateException(
          "the key directory "
              + config.keyDir()
              + " holds "
              + held.size()
              + " of the "
              + needed
              + " "
              + roleName
              + " key(s) root metadata version "
              + current.getVersion()
              + " requires");
    }
    return sign(payloadType, payload, first(held, needed));
  }

  /**
   * The current root metadata. A server that keeps running past half its lifetime re-signs it here
   * when it holds the root key (or picks up what a replica published meanwhile).
   */
  public synchronized SignedEnvelope rootMetadata() {
    refresh();
    if (!clock.instant().isBefore(renewAfter(currentMetadata()))) {
      try {
        renewIfDue();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot use key directory " + config.keyDir(), e);
      }
    }
    return roots.newest();
  }

  /**
   * Every root version, oldest first, the current one last. Called for every desired state sent, so
   * the usual case is one file check and no lock.
   */
  public List<SignedEnvelope> rootChain() {
    Roots known = roots;
    if (files.exists(known.current().getVersion() + 1) || renewalDue(known.current())) {
      rootMetadata();
      return roots.chain();
    }
    return known.chain();
  }

  /** Past half its lifetime, unless an offline root was warned about within the minute. */
  private boolean renewalDue(RootMetadata current) {
    Instant now = clock.instant();
    Instant warned = warnedAt;
    return !now.isBefore(renewAfter(current))
        && (warned == null || now.isAfter(warned.plusSeconds(60)));
  }

  /** Picks up versions another replica published (one file check when there are none). */
  synchronized void refresh() {
    if (files.exists(roots.current().getVersion() + 1)) {
      roots = Roots.of(files.load());
    }
  }

  RootMetadata currentMetadata() {
    return roots.current();
  }

  /** When the server re-signs root metadata (or warns, when it cannot): half its lifetime. */
  Instant renewAfter(RootMetadata metadata) {
    return Instant.ofEpochMilli(metadata.getExpiresAtMs())
        .minus(config.rootMetadataTtl().dividedBy(2));
  }

  /** The first root key of the current root metadata. */
  public byte[] rootPublicKey() {
    RootMetadata current = currentMetadata();
    return key(current, role(current, Dsse.ROLE_ROOT).orElseThrow().getKeyIds(0))
        .getPublicKey()
        .toByteArray();
  }

  /**
   * What new agents pin: every root key of the current root metadata as PEM, preceded, when there
   * are several, by {@code root-threshold: N} (the root role's threshold), which the agent reads as
   * how many of them must sign the first root version it trusts. With one root key this is that
   * key's PEM alone, as it always was.
   */
  public String rootPinPem() {
    RootMetadata current = currentMetadata();
    RoleKeys root = role(current, Dsse.ROLE_ROOT).orElseThrow();
    StringBuilder pin = new StringBuilder();
    if (root.getKeyIdsCount() > 1) {
      pin.append("root-threshold: ").append(Math.max(1, root.getThreshold())).append('\n');
    }
    for (String keyId : root.getKeyIdsList()) {
      pin.append(Ed25519Keys.publicKeyPem(key(current, keyId).getPublicKey().toByteArray()));
    }
    return pin.toString();
  }

  /** Whether this server holds enough root keys to sign the next root version itself. */
  public boolean rootKeyOnline() {
    reloadKeys(); // taking root.key out of the key directory takes effect without a restart
    RootMetadata current = currentMetadata();
    return holdsThreshold(current, role(current, Dsse.ROLE_ROOT).orElseThrow());
  }

  boolean holdsThreshold(RootMetadata metadata, RoleKeys role) {
    return held(role.getKeyIdsList()).size() >= Math.max(1, role.getThreshold());
  }

  /** A fresh online key for a role, stored in the key directory. */
  synchronized PublicKey createKey(String roleName) {
    try {
      Ed25519PrivateKeyParameters key = dir.createKey(roleName);
      keys = dir.loadAll();
      return publicKey(key);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a key to " + config.keyDir(), e);
    }
  }

  /**
   * Next root metadata (its version set here, its expiry by the caller), signed by every key this
   * server holds among the previous version's root keys and the new version's.
   */
  SignedEnvelope signNextRoot(RootMetadata next, Collection<String> previousRootKeyIds) {
    reloadKeys();
    RootMetadata current = currentMetadata();
    RootMetadata numbered = next.toBuilder().setVersion(current.getVersion() + 1).build();
    Set<String> signers = new LinkedHashSet<>(previousRootKeyIds);
    signers.addAll(rootKeyIds(numbered));
    return sign(Dsse.ROOT_METADATA_TYPE, numbered.toByteArray(), held(signers));
  }

  /** Publishes a next root version; false when a replica published that version first. */
  synchronized boolean publish(SignedEnvelope next) {
    boolean published = files.publish(next);
    roots = Roots.of(files.load());
    if (published) {
      try {
        dir.writePublic("root.pub.pem", rootPinPem());
      } catch (IOException e) {
        LOG.warnf("could not refresh root.pub.pem in %s: %s", config.keyDir(), e.getMessage());
      }
    }
    return published;
  }

  private void reloadKeys() {
    try {
      keys = dir.loadAll();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read key directory " + config.keyDir(), e);
    }
  }

  RootChainFiles files() {
    return files;
  }

  /** The held keys among {@code keyIds}, by key id, in the order asked. */
  private Map<String, Ed25519PrivateKeyParameters> held(Collection<String> keyIds) {
    if (!keys.keySet().containsAll(keyIds)) {
      try {
        keys = dir.loadAll(); // a replica may have made a key since
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read key directory " + config.keyDir(), e);
      }
    }
    Map<String, Ed25519PrivateKeyParameters> held = new LinkedHashMap<>();
    for (String keyId : keyIds) {
      Optional.ofNullable(keys.get(keyId)).ifPresent(key -> held.put(keyId, key));
    }
    return held;
  }

  private static Map<String, Ed25519PrivateKeyParameters> first(
      Map<String, Ed25519PrivateKeyParameters> held, int count) {
    Map<String, Ed25519PrivateKeyParameters> first = new LinkedHashMap<>();
    held.entrySet().stream().limit(count).forEach(e -> first.put(e.getKey(), e.getValue()));
    return first;
  }

  static Set<String> rootKeyIds(RootMetadata metadata) {
    return new LinkedHashSet<>(
        role(metadata, Dsse.ROLE_ROOT)
            .<List<String>>map(RoleKeys::getKeyIdsList)
            .orElse(List.of()));
  }

  static Optional<RoleKeys> role(RootMetadata metadata, String name) {
    return metadata.getRolesList().stream().filter(r -> r.getRole().equals(name)).findFirst();
  }

  static PublicKey key(RootMetadata metadata, String keyId) {
    return metadata.getKeysList().stream()
        .filter(k -> k.getKeyId().equals(keyId))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "root metadata lists key " + keyId + " in a role but not among its keys"));
  }

  /**
   * Replaces a role's keys and threshold; keys no role uses any more leave the key list, so a
   * rotated-out key is gone from the metadata, not just from the role.
   */
  static void setRole(
      RootMetadata.Builder metadata, String name, List<PublicKey> roleKeys, int threshold) {
    List<RoleKeys> roles = new ArrayList<>(metadata.getRolesList());
    roles.removeIf(r -> r.getRole().equals(name));
    roles.add(
        RoleKeys.newBuilder()
            .setRole(name)
            .setThreshold(threshold)
            .addAllKeyIds(roleKeys.stream().map(PublicKey::getKeyId).toList())
            .build());
    roles.sort(
        java.util.Comparator.comparingInt(
            r ->
                List.of(Dsse.ROLE_ROOT, Dsse.ROLE_TARGETS, Dsse.ROLE_DIRECTOR)
                    .indexOf(r.getRole())));
    Map<String, PublicKey> byId = new java.util.LinkedHashMap<>();
    metadata.getKeysList().forEach(k -> byId.put(k.getKeyId(), k));
    roleKeys.forEach(k -> byId.put(k.getKeyId(), k));
    Set<String> used = new java.util.HashSet<>();
    roles.forEach(r -> used.addAll(r.getKeyIdsList()));
    metadata
        .clearRoles()
        .addAllRoles(roles)
        .clearKeys()
        .addAllKeys(byId.values().stream().filter(k -> used.contains(k.getKeyId())).toList());
  }

  /** The key ids among {@code role}'s whose signatures on {@code envelope} verify. */
  static Set<String> validSigners(SignedEnvelope envelope, RootMetadata keysFrom, RoleKeys role) {
    byte[] signed =
        Dsse.preAuthEncoding(envelope.getPayloadType(), envelope.getPayload().toByteArray());
    Set<String> valid = new LinkedHashSet<>();
    for (Signature signature : envelope.getSignaturesList()) {
      if (role.getKeyIdsList().contains(signature.getKeyId())
          && verifies(
              key(keysFrom, signature.getKeyId()),
              signed,
              signature.getSignature().toByteArray())) {
        valid.add(signature.getKeyId());
      }
    }
    return valid;
  }

  static boolean verifies(PublicKey key, byte[] message, byte[] signature) {
    try {
      Ed25519PublicKeyParameters publicKey =
          Ed25519Keys.parsePublicKey(key.getPublicKey().toByteArray());
      Ed25519Signer verifier = new Ed25519Signer();
      verifier.init(false, publicKey);
      verifier.update(message, 0, message.length);
      return verifier.verifySignature(signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static PublicKey publicKey(Ed25519PrivateKeyParameters key) {
    return publicKey(Ed25519Keys.spki(key.generatePublicKey()));
  }

  static PublicKey publicKey(byte[] spki) {
    return PublicKey.newBuilder()
        .setKeyId(Dsse.keyId(spki))
        .setAlgorithm("ed25519")
        .setPublicKey(ByteString.copyFrom(spki))
        .build();
  }

  /** Signs with each key; the key ids come with the keys, so no public key is derived here. */
  private static SignedEnvelope sign(
      String payloadType, byte[] payload, Map<String, Ed25519PrivateKeyParameters> signers) {
    SignedEnvelope.Builder envelope =
        SignedEnvelope.newBuilder()
            .setPayload(ByteString.copyFrom(payload))
            .setPayloadType(payloadType);
    byte[] signed = Dsse.preAuthEncoding(payloadType, payload);
    signers.forEach(
        (keyId, key) ->
            envelope.addSignatures(
                Signature.newBuilder()
                    .setKeyId(keyId)
                    .setSignature(ByteString.copyFrom(Ed25519Keys.sign(key, signed)))));
    return envelope.build();
  }
}
