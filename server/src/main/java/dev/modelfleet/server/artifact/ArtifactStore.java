package dev.modelfleet.server.artifact;

import dev.modelfleet.server.common.ModelFleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content-addressed files: {@code <artifact-dir>/sha256/<first two hex>/<sha256>}. Uploads are
 * streamed to a temporary file in the same directory tree (so the final move is a rename) and
 * hashed on the way, never held in memory.
 */
@ApplicationScoped
public class ArtifactStore {

  private final Path root;

  ArtifactStore(ModelFleetConfig config) {
    this.root = config.artifactDir().toAbsolutePath();
  }

  public StagedArtifact stage(InputStream body) throws IOException {
    Path staging = Files.createDirectories(root.resolve("staging"));
    Path temp = Files.createTempFile(staging, "upload-", ".part");
    try {
      MessageDigest sha256 = newSha256();
      long size;
      try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), sha256)) {
        size = body.transferTo(out);
      }
      return new StagedArtifact(temp, HexFormat.of().formatHex(sha256.digest()), size);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /**
   * Moves a staged upload to its content address. Returns false when those bytes were already
   * stored (the staged copy is then dropped).
   */
  public boolean commit(StagedArtifact staged) throws IOException {
    Path target = path(staged.sha256());
    Files.createDirectories(target.getParent());
    try {
      if (Files.exists(target)) {
        return false;
      }
      Files.move(staged.file(), target, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (FileAlreadyExistsException concurrentSameBytes) {
      return false;
    } finally {
      Files.deleteIfExists(staged.file());
    }
  }

  public void discard(StagedArtifact staged) {
    deleteQuietly(staged.file());
  }

  /** Removes a stored file whose database row could not be written. */
  public void delete(String sha256) {
    deleteQuietly(path(sha256));
  }

  public Path path(String sha256) {
    return root.resolve("sha256").resolve(sha256.substring(0, 2)).resolve(sha256);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover temp file wastes disk but harms nothing stored
    }
  }
}
