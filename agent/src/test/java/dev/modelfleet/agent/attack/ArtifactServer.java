package dev.modelfleet.agent.attack;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.transport.grpc.BearerCredentialInterceptor;
import dev.modelfleet.agent.transport.grpc.GrpcArtifactSource;
import dev.modelfleet.agent.transport.http.HttpArtifactSource;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves artifacts on both paths an agent downloads from, HTTP ({@code GET <base>/<sha256>}, {@code
 * Range}) and gRPC FetchArtifact (the agent tests' {@link FakeControlPlane}), with the bytes and
 * the speed under the test's control: tampered bytes, an endless stream, a trickle.
 */
final class ArtifactServer implements AutoCloseable {

  enum Transport {
    HTTP,
    GRPC
  }

  private final FakeControlPlane grpc;
  private final HttpServer http;
  private final ManagedChannel channel;
  private volatile long bytesPerSecond;
  private volatile boolean endless;
  private final AtomicLong httpBytesSent = new AtomicLong();
  private volatile boolean closed;

  ArtifactServer() throws IOException {
    grpc = new FakeControlPlane(new FleetFixture());
    grpc.chunkSize = 1024;
    channel = grpc.channel();
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/artifacts/", this::serve);
    http.setExecutor(Executors.newCachedThreadPool());
    http.start();
  }

  ArtifactSource source(Transport transport) {
    return switch (transport) {
      case HTTP ->
          new HttpArtifactSource(
              URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/artifacts/"),
              FakeControlPlane.CREDENTIAL,
              "127.0.0.1");
      case GRPC ->
          new GrpcArtifactSource(
              AgentServiceGrpc.newBlockingStub(channel)
                  .withInterceptors(new BearerCredentialInterceptor(FakeControlPlane.CREDENTIAL)));
    };
  }

  void put(byte[] artifact) {
    putAs(Dsse.sha256Hex(artifact), artifact);
  }

  /** Serves {@code bytes} where the artifact {@code sha256} is asked for. */
  void putAs(String sha256, byte[] bytes) {
    grpc.artifacts.put(sha256, bytes);
  }

  /** About this many bytes per second on both paths; 0 = as fast as it goes, 1 = a stall. */
  void throttle(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
    grpc.bytesPerSecond = bytesPerSecond;
  }

  /** After the artifact's bytes, keep sending zeros until the agent hangs up. */
  void endless(boolean endless) {
    this.endless = endless;
    grpc.endless = endless;
  }

  long bytesSent() {
    return httpBytesSent.get() + grpc.bytesSent.get();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String sha = exchange.getRequestURI().getPath().substring("/artifacts/".length());
      byte[] bytes = grpc.artifacts.get(sha);
      if (bytes == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      String range = exchange.getRequestHeaders().getFirst("Range");
      int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
      if (from > 0) {
        exchange
            .getResponseHeaders()
            .set("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
      }
      // Endless: no Content-Length (chunked), so nothing but the signed size can stop it.
      exchange.sendResponseHeaders(from > 0 ? 206 : 200, endless ? 0 : bytes.length - from);
      OutputStream body = exchange.getResponseBody();
      int piece = bytesPerSecond > 0 ? 256 : 64 * 1024;
      for (long at = from; at < bytes.length || endless; at += piece) {
        int length = at < bytes.length ? (int) Math.min(piece, bytes.length - at) : piece;
        if (bytesPerSecond > 0) {
          pace(length * 1000L / bytesPerSecond);
        }
        if (at < bytes.length) {
          body.write(bytes, (int) at, length);
        } else {
          body.write(new byte[length]);
        }
        body.flush();
        httpBytesSent.addAndGet(length);
      }
    } catch (IOException e) {
      // The agent hung up: what an endless or slow stream is meant to end in.
    }
  }

  /** Sleeps in slices, so that a stalled response ends when the server closes. */
  private void pace(long millis) throws IOException {
    long until = System.nanoTime() + Math.max(1, millis) * 1_000_000L;
    try {
      while (System.nanoTime() < until) {
        if (closed) {
          throw new IOException("server closed");
        }
        Thread.sleep(Math.max(1, Math.min(20, (until - System.nanoTime()) / 1_000_000L)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  @Override
  public void close() {
    closed = true;
    channel.shutdownNow();
    http.stop(0);
    grpc.close();
  }
}
