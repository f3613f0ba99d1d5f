package dev.modelfleet.server.agentapi;

import com.google.protobuf.UnsafeByteOperations;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.server.artifact.ArtifactStore;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.InputStream;

/**
 * Sends a stored artifact from an offset up to a stop (its end, or where the device asked the
 * stream to end) in chunks, only while the transport can take them: each chunk waits for the
 * client's flow-control window, so a slow device holds at most a chunk or two of server memory
 * instead of the whole file.
 */
final class ChunkPump implements Runnable {

  static final int CHUNK_SIZE = 1024 * 1024;

  private final InputStream file;
  private final long size;
  private final long stop;
  private final ServerCallStreamObserver<ArtifactChunk> out;
  private final DownloadMetrics metrics;
  private long position;
  private boolean done;

  ChunkPump(
      ArtifactStore.Stored stored,
      long stop,
      ServerCallStreamObserver<ArtifactChunk> out,
      DownloadMetrics metrics) {
    this.file = stored.body();
    this.position = stored.offset();
    this.size = stored.size();
    this.stop = stop;
    this.out = out;
    this.metrics = metrics;
  }

  /** Must run inside the service method: gRPC takes these handlers only before it returns. */
  void start() {
    metrics.started(DownloadMetrics.GRPC);
    out.setOnCancelHandler(this::cancel);
    out.setOnReadyHandler(this);
    run(); // the first onReady may have fired before our handler was in place
  }

  @Override
  public synchronized void run() {
    if (done) {
      return;
    }
    try {
      while (position < stop && out.isReady()) {
        ArtifactChunk chunk = readChunk();
        out.onNext(chunk);
        metrics.bytesServed(DownloadMetrics.GRPC, chunk.getData().size());
      }
      if (position >= stop) {
        finish();
        out.onCompleted();
        metrics.ended(DownloadMetrics.GRPC, true);
      }
    } catch (IOException e) {
      finish();
      metrics.ended(DownloadMetrics.GRPC, false);
      out.onError(
          Status.UNAVAILABLE
              .withDescription("reading the artifact failed; resume later")
              .asRuntimeException());
    }
  }

  private ArtifactChunk readChunk() throws IOException {
    byte[] buffer = new byte[(int) Math.min(CHUNK_SIZE, stop - position)];
    if (file.readNBytes(buffer, 0, buffer.length) < buffer.length) {
      throw new IOException("artifact shorter than recorded");
    }
    ArtifactChunk chunk =
        ArtifactChunk.newBuilder()
            .setOffset(position)
            .setData(UnsafeByteOperations.unsafeWrap(buffer))
            .setTotalSize(size)
            .build();
    position += buffer.length;
    return chunk;
  }

  private synchronized void cancel() {
    if (!done) {
      metrics.ended(DownloadMetrics.GRPC, false);
    }
    finish();
  }

  private void finish() {
    done = true;
    try {
      file.close();
    } catch (IOException ignored) {
      // read-only: nothing to lose on a failed close
    }
  }
}
