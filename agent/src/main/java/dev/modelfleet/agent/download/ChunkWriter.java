package dev.modelfleet.agent.download;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Takes one download attempt's chunks into the partial file: holds each to the signed size and to
 * the expected offset, hashes and writes it straight from the source's buffers (no copies beyond
 * what the source made), feeds the rate watch, lets the disk write behind it ({@link
 * EarlyWriteback}) and reports progress at most every ~250 ms or 10 %.
 */
final class ChunkWriter implements ArtifactSource.ChunkConsumer {

  private static final long PROGRESS_INTERVAL_NANOS = 250_000_000L;

  private final FileChannel channel;
  private final MessageDigest digest;
  private final long size;
  private final String sha256;
  private final ArtifactDownloader.Progress progress;
  private final SlowRetrievalWatch watch;
  private final DownloadGate gate;
  private final EarlyWriteback writeback;

  /** Set once the source counts bytes itself as they come off the wire. */
  private volatile boolean sourceCounts;

  private long position;
  private long lastReportNanos = System.nanoTime();
  private long lastReportBytes;

  /**
   * @param position where the partial file ends (the attempt resumes there); {@code digest} has
   *     hashed the bytes before it
   */
  ChunkWriter(
      FileChannel channel,
      MessageDigest digest,
      long position,
      long size,
      String sha256,
      ArtifactDownloader.Progress progress,
      SlowRetrievalWatch watch,
      DownloadGate gate,
      EarlyWriteback writeback) {
    this.writeback = writeback;
    this.watch = watch;
    this.gate = gate;
    this.channel = channel;
    this.digest = digest;
    this.position = position;
    this.size = size;
    this.sha256 = sha256;
    this.progress = progress;
    this.lastReportBytes = position;
  }

  /** Bytes of the artifact written so far, from its start. */
  long position() {
    return position;
  }

  @Override
  public void received(long bytes) throws IOException {
    sourceCounts = true;
    watch.count(bytes);
    if (watch.tripped()) {
      throw new IOException("abandoned: " + watch.describe());
    }
  }

  @Override
  public long endOffset() {
    return size;
  }

  @Override
  public long stopOffset() {
    long allowed = gate.allowance();
    return allowed >= size - position ? Long.MAX_VALUE : position + allowed;
  }

  @Override
  public long stallTimeoutMillis() {
    return watch.stallTimeoutMillis();
  }

  @Override
  public void abortWith(Runnable abort) {
    watch.abortWith(abort);
  }

  @Override
  public void accept(long offset, ByteString data, long totalSize) throws IOException {
    if (!sourceCounts) {
      watch.count(data.size());
    }
    // A negative total is a source that does not know the length (HTTP without
    // Content-Length): the bytes themselves are then held to the signed size below.
    if (totalSize >= 0 && totalSize != size) {
      throw new OversizeException(
          totalSize > size ? "size-exceeded" : "size-mismatch",
          "the server says artifact "
              + sha256
              + " has "
              + totalSize
              + " bytes but its signed"
              + " manifest says "
              + size
              + "; refused");
    }
    if (offset != position) {
      throw new OversizeException(
          "download-failed",
          "the server sent a chunk of "
              + sha256
              + " at offset "
              + offset
              + " while the agent expected "
              + position
              + "; restarting"
              + " the download from 0 next time");
    }
    if (position + data.size() > size) {
      throw new OversizeException(
          "size-exceeded",
          "artifact "
              + sha256
              + " is longer than the "
              + size
              + " bytes its signed manifest"
              + " declares; download stopped and refused");
    }
    // The policy's rate cap sleeps here; a closed window or a spent budget stops the attempt
    // after what it still allows, and the download resumes from there when the policy lets it.
    long granted = gate.grant(data.size());
    ByteString allowed = granted < data.size() ? data.substring(0, (int) granted) : data;
    for (ByteBuffer buffer : allowed.asReadOnlyByteBufferList()) {
      digest.update(buffer.duplicate());
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
    position += allowed.size();
    writeback.written(position);
    if (granted < data.size()) {
      progress.update(position, size);
      throw new DownloadGate.PausedException(
          gate.waitNow()
              .orElse(
                  new DownloadGate.Wait(
                      DownloadGate.WAITING_BUDGET,
                      "the daily download budget is spent",
                      java.time.Instant.now())));
    }
    if (watch.tripped()) {
      // Kept (the next attempt resumes after it), but no more: for sources that cannot be
      // aborted from outside.
      throw new IOException("abandoned: " + watch.describe());
    }
    long now = System.nanoTime();
    if (now - lastReportNanos >= PROGRESS_INTERVAL_NANOS
        || position - lastReportBytes >= size / 10
        || position == size) {
      lastReportNanos = now;
      lastReportBytes = position;
      progress.update(position, size);
    }
  }

  /**
   * The server's bytes disagree with the signed size (or come out of order): stop reading at once;
   * nothing of them is worth keeping.
   */
  static final class OversizeException extends IOException {
    private final String reasonCode;

    OversizeException(String reasonCode, String message) {
      super(message);
      this.reasonCode = reasonCode;
    }

    String reasonCode() {
      return reasonCode;
    }
  }
}
