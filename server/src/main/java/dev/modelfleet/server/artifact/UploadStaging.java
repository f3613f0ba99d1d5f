package dev.modelfleet.server.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Streams an upload to a temporary file while hashing it, never holding it in memory. Every store
 * stages on local disk: the model checks read the file, and its sha256 is the address it is stored
 * under.
 */
final class UploadStaging {

  private final Path directory;

  UploadStaging(Path directory) {
    this.directory = directory;
  }

  StagedArtifact stage(InputStream body) throws IOException {
    Path staging = Files.createDirectories(directory);
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
   * Removes staged files last written before {@code cutoff}: uploads a crash or a killed replica
   * left behind. A live upload writes its file until it is hashed and then keeps it only while the
   * model checks and the commit run, so any grace of hours spares it.
   */
  ArtifactStore.Purged purgeOlderThan(Instant cutoff) throws IOException {
    if (!Files.isDirectory(directory)) {
      return ArtifactStore.Purged.NONE;
    }
    int files = 0;
    long bytes = 0;
    try (DirectoryStream<Path> staged = Files.newDirectoryStream(directory, "upload-*.part")) {
      for (Path file : staged) {
        try {
          BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
          if (attributes.isRegularFile()
              && attributes.lastModifiedTime().toInstant().isBefore(cutoff)
              && Files.deleteIfExists(file)) {
            files++;
            bytes += attributes.size();
          }
        } catch (NoSuchFileException finishedMeanwhile) {
          // committed or discarded since the listing: not ours to count
        }
      }
    }
    return new ArtifactStore.Purged(files, bytes);
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover temp file wastes disk but harms nothing stored
    }
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
