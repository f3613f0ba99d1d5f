package dev.modelfleet.agent.download;

import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.trust.VerificationException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.logging.Logger;

/**
 * What a delta and a compressed copy have in common: a smaller file, fetched through the usual
 * download (resumable, under the download policy, checked against its own sha256), is turned into
 * the artifact by a streaming transform, hashed while written, and the result takes the artifact's
 * name only when it has the signed sha256 and size. Every failure is a {@link
 * VerificationException} with a reason code under the way's own prefix ({@code delta-...}, {@code
 * compressed-...}), which the caller reports before it downloads the artifact whole.
 */
final class SignedRebuild {

  private static final Logger LOG = Logger.getLogger(SignedRebuild.class.getName());

  /** Writes the artifact from the fetched file's bytes. */
  interface Transform {
    void write(InputStream fetched, OutputStream artifact) throws IOException;
  }

  /**
   * How one way names itself: {@code prefix} of its reason codes, the code of a file it cannot turn
   * into the artifact, the name of what is fetched ("the delta"), the verb of the log line.
   */
  record Way(String prefix, String unreadableCode, String fetchedName, String done) {}

  private SignedRebuild() {}

  /** Fetches {@code fetchedSha256} and writes the artifact {@code sha256} from it. */
  static void rebuild(
      ArtifactDownloader downloader,
      Way way,
      String fetchedSha256,
      long fetchedSize,
      String sha256,
      long size,
      ArtifactDownloader.Progress progress,
      Transform transform)
      throws VerificationException, InterruptedException {
    Path target = downloader.finalPath(sha256);
    Path fetched;
    try {
      fetched = downloader.download(fetchedSha256, fetchedSize, progress);
    } catch (VerificationException e) {
      throw new VerificationException(
          way.prefix() + "-download-failed", e.reasonCode() + ": " + e.getMessage(), e);
    }
    Path written = target.resolveSibling(sha256 + ".from-" + way.prefix());
    try {
      long started = System.nanoTime();
      String digest = write(fetched, written, transform);
      long actual = Files.size(written);
      if (actual != size || !digest.equals(sha256)) {
        throw new VerificationException(
            way.prefix() + "-result-mismatch",
            way.fetchedName()
                + " gave "
                + actual
                + " bytes hashing to "
                + digest
                + ", not the signed "
                + size
                + " bytes of "
                + sha256);
      }
      Files.move(written, target, StandardCopyOption.ATOMIC_MOVE);
      SecureFiles.syncDirectory(target.toAbsolutePath().getParent());
      LOG.info(
          way.done()
              + " "
              + sha256
              + " ("
              + size
              + " bytes) from "
              + fetchedSize
              + " bytes of "
              + way.fetchedName()
              + " in "
              + (System.nanoTime() - started) / 1_000_000
              + " ms");
    } catch (IOException e) {
      throw new VerificationException(
          way.unreadableCode(),
          way.fetchedName() + " could not be turned into the artifact: " + e.getMessage(),
          e);
    } finally {
      deleteQuietly(written);
      deleteQuietly(fetched);
    }
  }

  /** Writes the artifact, durably; returns its sha256 (hashed while written). */
  private static String write(Path fetched, Path written, Transform transform) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(fetched);
        FileChannel channel =
            FileChannel.open(
                written,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      OutputStream out =
          new DigestOutputStream(
              new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), digest);
      transform.write(in, out);
      out.flush();
      channel.force(false);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a leftover is removed with the unused artifacts
    }
  }
}
