package dev.modelfleet.e2e.sim;

import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes of one download as they arrive, whichever path brought them: hashed and counted on the
 * way, and written to a file only when asked to (to compare fairly with a client that writes to
 * disk). By default nothing is kept: a simulated device has no use for the model, and thousands of
 * copies would measure the disk rather than the server.
 */
final class ArtifactBytes implements AutoCloseable {

  private final VariantManifest manifest;
  private final LongAdder fleetBytes;
  private final MessageDigest sha256;
  private final Path file;
  private final FileChannel out;
  private long received;

  /**
   * @param file where to write the bytes, deleted on {@link #close}; null: keep nothing
   */
  ArtifactBytes(VariantManifest manifest, Path file, LongAdder fleetBytes) throws IOException {
    this.manifest = manifest;
    this.fleetBytes = fleetBytes;
    this.file = file;
    this.out =
        file == null
            ? null
            : FileChannel.open(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  long received() {
    return received;
  }

  void add(byte[] buffer, int length) throws IOException {
    add(ByteBuffer.wrap(buffer, 0, length));
  }

  void add(ByteBuffer bytes) throws IOException {
    int length = bytes.remaining();
    if (out != null) {
      ByteBuffer toWrite = bytes.duplicate();
      while (toWrite.hasRemaining()) {
        out.write(toWrite);
      }
    }
    sha256.update(bytes);
    received += length;
    fleetBytes.add(length);
  }

  /** Judges the bytes against the signed manifest, as the agent does before it loads any. */
  void judge(DownloadOutcome outcome) {
    String digest = HexFormat.of().formatHex(sha256.digest());
    if (received != manifest.getSize()) {
      outcome.finished(
          "size-mismatch",
          "downloaded " + received + " bytes, the manifest says " + manifest.getSize());
    } else if (!digest.equals(manifest.getSha256())) {
      outcome.finished(
          "sha256-mismatch",
          "downloaded bytes hash to " + digest + ", the manifest says " + manifest.getSha256());
    } else {
      outcome.finished(null, null);
    }
  }

  /** Closes and deletes the file, if there is one: verified or not, it has served its turn. */
  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
      Files.deleteIfExists(file);
    }
  }
}
