package dev.modelfleet.agent.transport.grpc;

import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactFetchException.Kind;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.protocol.agent.v1.FetchArtifactRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.Iterator;

/**
 * FetchArtifact over gRPC. The blocking iterator asks for one message at a time, so gRPC flow
 * control holds the server back while the disk catches up.
 */
public final class GrpcArtifactSource implements ArtifactSource {

  private final AgentServiceGrpc.AgentServiceBlockingStub stub;

  /** No deadline: a slow link may take long; the channel's keepalive detects a dead peer. */
  public GrpcArtifactSource(AgentServiceGrpc.AgentServiceBlockingStub stub) {
    this.stub = stub;
  }

  @Override
  public void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    // A cancellable context: when the consumer stops early, the call is cancelled rather than
    // left streaming into a buffer nobody reads.
    Context.CancellableContext context = Context.current().withCancellation();
    Context previous = context.attach();
    // Cancelling from the downloader's rate watch ends a stalled call in hasNext().
    consumer.abortWith(() -> context.cancel(null));
    try {
      FetchArtifactRequest.Builder request =
          FetchArtifactRequest.newBuilder().setSha256(sha256).setOffset(offset);
      long stop = consumer.stopOffset();
      if (stop != Long.MAX_VALUE && stop > offset) {
        // today's allowance ends before the artifact: the server sends no more than that
        request.setEndOffset(stop);
      }
      Iterator<ArtifactChunk> chunks = stub.fetchArtifact(request.build());
      while (chunks.hasNext()) {
        ArtifactChunk chunk = chunks.next();
        consumer.received(chunk.getData().size());
        consumer.accept(chunk.getOffset(), chunk.getData(), chunk.getTotalSize());
      }
    } catch (StatusRuntimeException e) {
      throw classify(e.getStatus(), sha256, e);
    } finally {
      context.detach(previous);
      context.cancel(null);
    }
  }

  static ArtifactFetchException classify(Status status, String sha256, Throwable cause) {
    String text =
        status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    Kind kind =
        switch (status.getCode()) {
          case NOT_FOUND -> Kind.NOT_FOUND;
          case OUT_OF_RANGE -> Kind.OUT_OF_RANGE;
          case UNAUTHENTICATED, INVALID_ARGUMENT, PERMISSION_DENIED -> Kind.FATAL;
          default -> Kind.RETRYABLE;
        };
    return new ArtifactFetchException(kind, "FetchArtifact " + sha256 + " " + text, cause);
  }
}
