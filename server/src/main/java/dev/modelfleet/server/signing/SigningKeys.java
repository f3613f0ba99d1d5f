package dev.modelfleet.server.signing;

import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.server.common.ModelFleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * The private keys this server holds online, in its key directory ({@link KeyDirectory}), by key
 * id. Which of them signs for a role is decided by the current root metadata, never by a file name:
 * the directory may hold retired keys too, and the root key may be absent (offline). The keys are
 * read again whenever one is asked for that is not known yet (a replica may have made it) and
 * whenever the root key's presence matters (an operator may have taken it offline, or brought it
 * back).
 */
@ApplicationScoped
public class SigningKeys {

  private final ModelFleetConfig config;
  private volatile KeyDirectory dir;
  private volatile Map<String, Ed25519PrivateKeyParameters> keys = Map.of();

  SigningKeys(ModelFleetConfig config) {
    this.config = config;
  }

  /** Opens (or makes) the key directory; the first thing the root metadata chain does at start. */
  synchronized KeyDirectory open() throws IOException {
    if (dir == null) {
      dir = new KeyDirectory(config.keyDir());
    }
    return dir;
  }

  KeyDirectory directory() {
    return dir;
  }

  /** The role's key from its first-start file ({@code <role>.key}), made if it does not exist. */
  Ed25519PrivateKeyParameters loadOrCreate(String role) throws IOException {
    Ed25519PrivateKeyParameters key = dir.loadOrCreate(role);
    reload();
    return key;
  }

  /** Reads the key directory again. */
  void reload() {
    try {
      keys = dir.loadAll();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read key directory " + config.keyDir(), e);
    }
  }

  /** A fresh online key for a role, stored in the key directory. */
  synchronized PublicKey create(String roleName) {
    try {
      Ed25519PrivateKeyParameters key = dir.createKey(roleName);
      keys = dir.loadAll();
      return RootRoles.publicKey(key);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a key to " + config.keyDir(), e);
    }
  }

  /** The held keys among {@code keyIds}, by key id, in the order asked. */
  Map<String, Ed25519PrivateKeyParameters> held(Collection<String> keyIds) {
    if (!keys.keySet().containsAll(keyIds)) {
      reload(); // a replica may have made a key since
    }
    Map<String, Ed25519PrivateKeyParameters> held = new LinkedHashMap<>();
    for (String keyId : keyIds) {
      Optional.ofNullable(keys.get(keyId)).ifPresent(key -> held.put(keyId, key));
    }
    return held;
  }

  /** Whether this server holds enough of the role's keys to sign for it. */
  boolean holdsThreshold(RoleKeys role) {
    return held(role.getKeyIdsList()).size() >= Math.max(1, role.getThreshold());
  }
}
