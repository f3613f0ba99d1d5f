package dev.modelfleet.agent.download;

import com.google.protobuf.UnsafeByteOperations;
import dev.modelfleet.agent.download.ArtifactFetchException.Kind;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Artifacts over plain HTTP ({@code GET <base>/<sha256>}, {@code Range: bytes=<offset>-} to
 * resume), the fast path: the server answers with sendfile, and a CDN can answer instead of
 * it later. The bytes prove themselves by size and sha256, so the address needs no signature.
 */
public final class HttpArtifactSource implements ArtifactSource {

  private final HttpClient http;
  private final URI base;
  private final String credential;

  public HttpArtifactSource(HttpClient http, URI base, String credential) {
    this.http = http;
    this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
    this.credential = credential;
  }

  public URI base() {
    return base;
  }

  /**
   * The body goes to the consumer on the HTTP client's own thread, buffer by buffer, as it
   * arrives: no hand-off to another thread and no copy. The consumer must not keep a chunk.
   */
  @Override
  public void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(sha256))
        .header("Authorization", "Bearer " + credential)
        .timeout(Duration.ofMinutes(30));
    if (offset > 0) {
      request.header("Range", "bytes=" + offset + "-");
    }
    ChunkForwarder forwarder = new ChunkForwarder(consumer, offset);
    HttpResponse<Void> response;
    try {
      response = http.send(request.build(), info -> forwarder.subscriberFor(info, offset));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ArtifactFetchException(Kind.RETRYABLE, "interrupted", e);
    } catch (IOException e) {
      forwarder.rethrowConsumerFailure();
      throw new ArtifactFetchException(Kind.RETRYABLE,
          "GET " + base.resolve(sha256) + " failed or broke off: " + e, e);
    }
    forwarder.rethrowConsumerFailure();
    int status = response.statusCode();
    if (status != 200 && status != 206 || forwarder.badRange != null) {
      String text = "GET " + base.resolve(sha256) + " answered " + status
          + (forwarder.badRange == null ? "" : " with Content-Range '" + forwarder.badRange
              + "' for offset " + offset);
      throw new ArtifactFetchException(kindOf(status, offset), text, null);
    }
  }

  private static Kind kindOf(int status, long offset) {
    return switch (status) {
      case 404 -> Kind.NOT_FOUND;
      case 416 -> Kind.OUT_OF_RANGE;
      case 400, 401, 403 -> Kind.FATAL;
      // A 200 to a Range request: the server ignores ranges; start over from 0.
      case 200 -> offset > 0 ? Kind.OUT_OF_RANGE : Kind.RETRYABLE;
      default -> Kind.RETRYABLE;
    };
  }

  /**
   * Hands each received buffer to the consumer. When the consumer throws (the artifact is
   * longer than signed, the disk is full), it cancels the body and fails it, so that send()
   * returns at once instead of waiting for a body that will never complete.
   */
  private static final class ChunkForwarder implements BodySubscriber<Void> {
    private final CompletableFuture<Void> body = new CompletableFuture<>();
    private final ChunkConsumer consumer;
    private long position;
    private long total = -1;
    private Flow.Subscription subscription;
    volatile IOException consumerFailure;
    volatile String badRange;

    ChunkForwarder(ChunkConsumer consumer, long offset) {
      this.consumer = consumer;
      this.position = offset;
    }

    BodySubscriber<Void> subscriberFor(ResponseInfo info, long offset) {
      int status = info.statusCode();
      if (status == 200 && offset == 0) {
        total = info.headers().firstValueAsLong("Content-Length").orElse(-1);
      } else if (status == 206) {
        total = rangeTotal(info.headers().firstValue("Content-Range").orElse(""), offset);
      }
      return total < 0 ? BodySubscribers.replacing(null) : this;
    }

    /** "bytes first-last/total": the server must resume exactly where we asked. */
    private long rangeTotal(String range, long offset) {
      int dash = range.indexOf('-');
      int slash = range.indexOf('/');
      try {
        if (range.startsWith("bytes ") && dash > 0 && slash > dash
            && Long.parseLong(range.substring(6, dash)) == offset) {
          return Long.parseLong(range.substring(slash + 1));
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      badRange = range;
      return -1;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      try {
        for (ByteBuffer buffer : buffers) {
          int length = buffer.remaining();
          consumer.accept(position, UnsafeByteOperations.unsafeWrap(buffer), total);
          position += length;
        }
        subscription.request(1);
      } catch (IOException e) {
        consumerFailure = e;
        subscription.cancel();
        body.completeExceptionally(e);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      body.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      body.complete(null);
    }

    @Override
    public CompletionStage<Void> getBody() {
      return body;
    }

    void rethrowConsumerFailure() throws IOException {
      if (consumerFailure != null) {
        throw consumerFailure;
      }
    }
  }
}
