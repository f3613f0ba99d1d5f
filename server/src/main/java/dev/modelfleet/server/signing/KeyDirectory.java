package dev.modelfleet.server.signing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * The directory holding the private signing keys (PKCS#8 PEM, owner-only). Replicas may share
 * it: a key is published with a hard link, which fails if another process got there first, so
 * every process ends up using the same key.
 */
final class KeyDirectory {

  private final Path dir;

  KeyDirectory(Path dir) throws IOException {
    this.dir = dir;
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  Ed25519PrivateKeyParameters loadOrCreate(String role) throws IOException {
    Path target = dir.resolve(role + ".key");
    if (!Files.exists(target)) {
      publishOnce(target, Ed25519Keys.privateKeyPem(Ed25519Keys.generate()));
    }
    return Ed25519Keys.parsePrivateKeyPem(Files.readString(target, StandardCharsets.US_ASCII));
  }

  /** Writes a derived public file; its content only depends on the key, so last writer wins. */
  void writePublic(String fileName, String content) throws IOException {
    Path temp = Files.createTempFile(dir, fileName, ".tmp");
    Files.writeString(temp, content, StandardCharsets.US_ASCII);
    Files.move(temp, dir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
  }

  private void publishOnce(Path target, String content) throws IOException {
    Path temp =
        Files.createTempFile(
            dir,
            target.getFileName().toString(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(temp, content, StandardCharsets.US_ASCII);
      Files.createLink(target, temp);
    } catch (FileAlreadyExistsException raceLost) {
      // another replica created it between our check and our link: use theirs
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
