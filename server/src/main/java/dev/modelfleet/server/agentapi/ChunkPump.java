package dev.modelfleet.server.agentapi;

import com.google.protobuf.UnsafeByteOperations;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.server.artifact.ArtifactStore;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.InputStream;

/**
 * Sends a stored artifact from an offset in chunks, only while the transport can take them: each
 * chunk waits for the client's flow-control window, so a slow device holds at most a chunk or two
 * of server memory instead of the whole file.
 */
final class ChunkPump implements Runnable {

  static final int CHUNK_SIZE = 1024 * 1024;

  private final InputStream file;
  private final long size;
  private final ServerCallStreamObserver<ArtifactChunk> out;
  private long position;
  private boolean done;

  ChunkPump(ArtifactStore.Stored stored, ServerCallStreamObserver<ArtifactChunk> out) {
    this.file = stored.body();
    this.position = stored.offset();
    this.size = stored.size();
    this.out = out;
  }

  /** Must run inside the service method: gRPC takes these handlers only before it returns. */
  void start() {
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
      while (position < size && out.isReady()) {
        out.onNext(readChunk());
      }
      if (position >= size) {
        finish();
        out.onCompleted();
      }
    } catch (IOException e) {
      finish();
      out.onError(
          Status.UNAVAILABLE
              .withDescription("reading the artifact failed; resume later")
              .asRuntimeException());
    }
  }

  private ArtifactChunk readChunk() throws IOException {
    byte[] buffer = new byte[(int) Math.min(CHUNK_SIZE, size - position)];
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
