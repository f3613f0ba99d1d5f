package dev.modelfleet.server.signing;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
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
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.jboss.logging.Logger;

/**
 * The chain of root metadata versions, the fleet's root of trust, from the first version to the
 * current one: made on the very first start, re-signed one version up with the same root keys at
 * half its lifetime (when this server holds them; warned about otherwise), picked up when a replica
 * published a version, and extended by a rotation ({@link RootRotation}). The root key may be
 * offline (absent from the key directory): the server then serves the stored chain and can publish
 * a new version only with signatures made elsewhere. Loaded at startup, so that a broken key
 * directory stops the server at once.
 */
@ApplicationScoped
public class RootMetadataChain {

  private static final Logger LOG = Logger.getLogger(RootMetadataChain.class);

  /** Where servers before root rotation kept their one root metadata document. */
  static final String LEGACY_ROOT_METADATA_FILE = "root-metadata.bin";

  private final ModelFleetConfig config;
  private final Clock clock;
  private final SigningKeys keys;
  private KeyDirectory dir;
  private RootChainFiles files;

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

  RootMetadataChain(ModelFleetConfig config, Clock clock, SigningKeys keys) {
    this.config = config;
    this.clock = clock;
    this.keys = keys;
  }

  @Transactional
  void onStart(@Observes StartupEvent started) {
    load();
    recordPublicKeys();
  }

  /** Opens the key directory and the chain, making or renewing the first version as needed. */
  synchronized void load() {
    try {
      dir = keys.open();
      files = new RootChainFiles(dir);
      if (files.load().isEmpty()) {
        publishFirstVersion();
      }
      roots = Roots.of(files.load());
      keys.reload();
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
    Ed25519PrivateKeyParameters root = keys.loadOrCreate(Dsse.ROLE_ROOT);
    Ed25519PrivateKeyParameters targets = keys.loadOrCreate(Dsse.ROLE_TARGETS);
    Ed25519PrivateKeyParameters director = keys.loadOrCreate(Dsse.ROLE_DIRECTOR);
    RootMetadata.Builder first =
        RootMetadata.newBuilder()
            .setVersion(1)
            .setExpiresAtMs(clock.instant().plus(config.rootMetadataTtl()).toEpochMilli());
    RootRoles.setRole(first, Dsse.ROLE_ROOT, List.of(RootRoles.publicKey(root)), 1);
    RootRoles.setRole(first, Dsse.ROLE_TARGETS, List.of(RootRoles.publicKey(targets)), 1);
    RootRoles.setRole(first, Dsse.ROLE_DIRECTOR, List.of(RootRoles.publicKey(director)), 1);
    files.publish(
        Envelopes.sign(
            Dsse.ROOT_METADATA_TYPE,
            first.build().toByteArray(),
            Map.of(RootRoles.publicKey(root).getKeyId(), root)));
  }

  /**
   * Re-signs root metadata one version up, with the same root keys, when half its lifetime is gone
   * or it names no director yet, if this server holds the root keys; otherwise warns.
   */
  private void renewIfDue() throws IOException {
    RootMetadata current = currentMetadata();
    boolean noDirector = RootRoles.role(current, Dsse.ROLE_DIRECTOR).isEmpty();
    if (!noDirector && clock.instant().isBefore(renewAfter(current))) {
      return;
    }
    keys.reload(); // root.key may have been taken offline (or brought back) meanwhile
    if (!keys.holdsThreshold(RootRoles.role(current, Dsse.ROLE_ROOT).orElseThrow())) {
      warnRootOffline(current, noDirector);
      return;
    }
    RootMetadata.Builder next =
        current.toBuilder()
            .setExpiresAtMs(clock.instant().plus(config.rootMetadataTtl()).toEpochMilli());
    if (noDirector) {
      Ed25519PrivateKeyParameters director = keys.loadOrCreate(Dsse.ROLE_DIRECTOR);
      RootRoles.setRole(next, Dsse.ROLE_DIRECTOR, List.of(RootRoles.publicKey(director)), 1);
    }
    SignedEnvelope renewed = signNextRoot(next.build(), RootRoles.rootKeyIds(current));
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
        PublicKey key = RootRoles.key(current, keyId);
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
    return RootRoles.key(
            current, RootRoles.role(current, Dsse.ROLE_ROOT).orElseThrow().getKeyIds(0))
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
    RoleKeys root = RootRoles.role(current, Dsse.ROLE_ROOT).orElseThrow();
    StringBuilder pin = new StringBuilder();
    if (root.getKeyIdsCount() > 1) {
      pin.append("root-threshold: ").append(Math.max(1, root.getThreshold())).append('\n');
    }
    for (String keyId : root.getKeyIdsList()) {
      pin.append(
          Ed25519Keys.publicKeyPem(RootRoles.key(current, keyId).getPublicKey().toByteArray()));
    }
    return pin.toString();
  }

  /** Whether this server holds enough root keys to sign the next root version itself. */
  public boolean rootKeyOnline() {
    keys.reload(); // taking root.key out of the key directory takes effect without a restart
    return keys.holdsThreshold(RootRoles.role(currentMetadata(), Dsse.ROLE_ROOT).orElseThrow());
  }

  /**
   * Next root metadata (its version set here, its expiry by the caller), signed by every key this
   * server holds among the previous version's root keys and the new version's.
   */
  SignedEnvelope signNextRoot(RootMetadata next, Collection<String> previousRootKeyIds) {
    keys.reload();
    RootMetadata current = currentMetadata();
    RootMetadata numbered = next.toBuilder().setVersion(current.getVersion() + 1).build();
    Set<String> signers = new LinkedHashSet<>(previousRootKeyIds);
    signers.addAll(RootRoles.rootKeyIds(numbered));
    return Envelopes.sign(Dsse.ROOT_METADATA_TYPE, numbered.toByteArray(), keys.held(signers));
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

  RootChainFiles files() {
    return files;
  }
}
