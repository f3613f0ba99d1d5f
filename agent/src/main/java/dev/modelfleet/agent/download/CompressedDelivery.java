package dev.modelfleet.agent.download;

import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.onnx.delta.WholeCompression;
import dev.modelfleet.protocol.agent.v1.CompressedArtifact;
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
 * Gets a signed artifact by downloading its compressed copy (smaller on the wire) and decompressing
 * it, instead of downloading it whole. Like a delta, the copy is only a way to get bytes: the
 * download is the usual one (resumable, under the download policy, over HTTP or gRPC) checked
 * against the copy's own sha256, and what it decompresses must hash to the signed sha256 and have
 * the signed size before it takes the artifact's name. Every failure is a {@link
 * VerificationException} whose reason the caller reports before it downloads the artifact whole.
 * Memory stays bounded: decompression streams with zstd's window capped at 8 MiB, and stops past
 * the signed size.
 */
public final class CompressedDelivery {

  private static final Logger LOG = Logger.getLogger(CompressedDelivery.class.getName());

  private final ArtifactDownloader downloader;

  public CompressedDelivery(ArtifactDownloader downloader) {
    this.downloader = downloader;
  }

  /**
   * Returns true when the artifact was decompressed from the copy; false when it was already held
   * (nothing to do).
   */
  public boolean fetch(
      CompressedArtifact compressed, String sha256, long size, ArtifactDownloader.Progress progress)
      throws VerificationException, InterruptedException {
    Path target = downloader.finalPath(sha256);
    if (Files.exists(target) && ArtifactDownloader.matches(target, sha256, size)) {
      return false;
    }
    if (!WholeCompression.ENCODING.equals(compressed.getEncoding())) {
      throw new VerificationException(
          "compressed-encoding-unknown",
          "the copy is encoded as '"
              + compressed.getEncoding()
              + "', which this agent cannot read");
    }
    Path copy;
    try {
      copy = downloader.download(compressed.getSha256(), compressed.getSize(), progress);
    } catch (VerificationException e) {
      throw new VerificationException(
          "compressed-download-failed", e.reasonCode() + ": " + e.getMessage(), e);
    }
    Path unpacked = target.resolveSibling(sha256 + ".from-zstd");
    try {
      long started = System.nanoTime();
      String digest = decompress(copy, unpacked, size);
      long actual = Files.size(unpacked);
      if (actual != size || !digest.equals(sha256)) {
        throw new VerificationException(
            "compressed-result-mismatch",
            "the compressed copy gave "
                + actual
                + " bytes hashing to "
                + digest
                + ", not the signed "
                + size
                + " bytes of "
                + sha256);
      }
      Files.move(unpacked, target, StandardCopyOption.ATOMIC_MOVE);
      SecureFiles.syncDirectory(target.toAbsolutePath().getParent());
      LOG.info(
          "decompressed "
              + sha256
              + " ("
              + size
              + " bytes) from a copy of "
              + compressed.getSize()
              + " bytes in "
              + (System.nanoTime() - started) / 1_000_000
              + " ms");
      return true;
    } catch (IOException e) {
      throw new VerificationException(
          "compressed-corrupt", "the compressed copy could not be read: " + e.getMessage(), e);
    } finally {
      deleteQuietly(unpacked);
      deleteQuietly(copy);
    }
  }

  /** Writes the artifact, durably; returns its sha256 (hashed while written). */
  private static String decompress(Path copy, Path unpacked, long signedSize) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(copy);
        FileChannel channel =
            FileChannel.open(
                unpacked,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      OutputStream out =
          new DigestOutputStream(
              new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), digest);
      WholeCompression.decompress(in, out, signedSize);
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
