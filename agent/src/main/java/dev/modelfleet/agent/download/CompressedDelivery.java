package dev.modelfleet.agent.download;

import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.onnx.delta.WholeCompression;
import dev.modelfleet.protocol.agent.v1.CompressedArtifact;
import java.nio.file.Files;
import java.nio.file.Path;

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

  private static final SignedRebuild.Way WAY =
      new SignedRebuild.Way(
          "compressed", "compressed-corrupt", "the compressed copy", "decompressed");

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
    SignedRebuild.rebuild(
        downloader,
        WAY,
        compressed.getSha256(),
        compressed.getSize(),
        sha256,
        size,
        progress,
        (in, out) -> WholeCompression.decompress(in, out, size));
    return true;
  }
}
