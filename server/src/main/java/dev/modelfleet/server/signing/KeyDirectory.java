package dev.modelfleet.server.signing;

import dev.modelfleet.protocol.Dsse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * The directory holding the private signing keys (PKCS#8 PEM, owner-only). Replicas may share it: a
 * key is published with a hard link, which fails if another process got there first, so every
 * process ends up using the same key.
 */
public final class KeyDirectory {

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final Path dir;

  public KeyDirectory(Path dir) throws IOException {
    this.dir = dir;
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  Ed25519PrivateKeyParameters loadOrCreate(String role) throws IOException {
    Path target = dir.resolve(role + ".key");
    if (!Files.exists(target)) {
      publishOnce(
          target,
          Ed25519Keys.privateKeyPem(Ed25519Keys.generate()).getBytes(StandardCharsets.US_ASCII));
    }
    return Ed25519Keys.parsePrivateKeyPem(Files.readString(target, StandardCharsets.US_ASCII));
  }

  /** The file's bytes; the first process to need it writes them, every other one reads them. */
  public byte[] loadOrPublish(String fileName, Supplier<byte[]> content) throws IOException {
    Path target = dir.resolve(fileName);
    if (!Files.exists(target)) {
      publishOnce(target, content.get());
    }
    return Files.readAllBytes(target);
  }

  void replace(String fileName, byte[] content) throws IOException {
    Path temp = Files.createTempFile(dir, fileName, ".tmp", OWNER_ONLY);
    Files.write(temp, content);
    Files.move(temp, dir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
  }

  /** Writes a derived public file; its content only depends on the key, so last writer wins. */
  void writePublic(String fileName, String content) throws IOException {
    Path temp = Files.createTempFile(dir, fileName, ".tmp");
    Files.writeString(temp, content, StandardCharsets.US_ASCII);
    Files.move(temp, dir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Every signing key in the directory by key id, whatever its role's file is called ({@code
   * root.key} from the first start, {@code targets-<id>.key} from a rotation). Other keys share the
   * directory (the fleet CA's {@code fleet-ca.key} is ECDSA), so only files named after a signing
   * role are read.
   */
  Map<String, Ed25519PrivateKeyParameters> loadAll() throws IOException {
    Map<String, Ed25519PrivateKeyParameters> keys = new HashMap<>();
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(KeyDirectory::isSigningKeyFile).toList()) {
        Ed25519PrivateKeyParameters key =
            Ed25519Keys.parsePrivateKeyPem(Files.readString(file, StandardCharsets.US_ASCII));
        keys.put(Dsse.keyId(Ed25519Keys.spki(key.generatePublicKey())), key);
      }
    }
    return keys;
  }

  private static boolean isSigningKeyFile(Path file) {
    String name = file.getFileName().toString();
    if (!name.endsWith(".key")) {
      return false;
    }
    String role = name.substring(0, name.length() - ".key".length()).split("-", 2)[0];
    return role.equals(Dsse.ROLE_ROOT)
        || role.equals(Dsse.ROLE_TARGETS)
        || role.equals(Dsse.ROLE_DIRECTOR);
  }

  /** A new key for a role, in a file of its own named after its key id. */
  Ed25519PrivateKeyParameters createKey(String role) throws IOException {
    Ed25519PrivateKeyParameters key = Ed25519Keys.generate();
    String keyId = Dsse.keyId(Ed25519Keys.spki(key.generatePublicKey()));
    publishOnce(
        dir.resolve(role + "-" + keyId.substring(0, 16) + ".key"),
        Ed25519Keys.privateKeyPem(key).getBytes(StandardCharsets.US_ASCII));
    return key;
  }

  /** Writes the file unless it exists; false when it did (another replica got there first). */
  boolean publishIfAbsent(String fileName, byte[] content) throws IOException {
    return publishOnce(dir.resolve(fileName), content);
  }

  Path path() {
    return dir;
  }

  private boolean publishOnce(Path target, byte[] content) throws IOException {
    Path temp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp", OWNER_ONLY);
    try {
      Files.write(temp, content);
      Files.createLink(target, temp);
      return true;
    } catch (FileAlreadyExistsException raceLost) {
      // another replica created it between our check and our link: use theirs
      return false;
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
