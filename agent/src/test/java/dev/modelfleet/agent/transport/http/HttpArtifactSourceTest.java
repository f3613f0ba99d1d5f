package dev.modelfleet.agent.transport.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP artifact path against a real HTTP server on loopback that behaves like ours. */
class HttpArtifactSourceTest {

  private static final String CREDENTIAL = "device-1.secret";

  @TempDir Path dir;
  HttpServer server;
  final byte[] artifact = new byte[3 * 1024 * 1024 + 123];
  String sha256;

  /** Bytes served instead of the artifact (tampered or endless data); null: the artifact. */
  volatile byte[] served;

  /** Cut the body after this many bytes (a dropped connection); -1: never. */
  volatile int cutAfter = -1;

  final List<String> ranges = new CopyOnWriteArrayList<>();

  /** The Authorization header of every request, "none" when absent. */
  final List<String> authorizations = new CopyOnWriteArrayList<>();

  /** Whether requests without the device credential get a 401 (ours) or the bytes (a CDN). */
  volatile boolean requireCredential = true;

  /** Answer every request with a 302 to this address instead; null: serve. */
  volatile String redirectTo;

  @BeforeEach
  void startServer() throws IOException {
    new Random(7).nextBytes(artifact);
    sha256 = Dsse.sha256Hex(artifact);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/agent/v1/artifacts/", this::serve);
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  @Test
  void downloadsAndVerifiesTheWholeArtifact() throws Exception {
    Path file = downloader(source()).download(sha256, artifact.length, (done, total) -> {});
    assertArrayEquals(artifact, Files.readAllBytes(file));
    assertEquals(List.of("none"), ranges);
  }

  @Test
  void resumesAnInterruptedDownloadWithARangeRequest() throws Exception {
    cutAfter = 1_000_000;
    Path file = downloader(source()).download(sha256, artifact.length, (done, total) -> {});
    assertArrayEquals(artifact, Files.readAllBytes(file));
    assertEquals("none", ranges.get(0));
    assertTrue(
        ranges.get(1).startsWith("bytes=") && !ranges.get(1).equals("bytes=0-"),
        "second request resumes: " + ranges);
  }

  @Test
  void stopsReadingAtTheDeclaredSize() {
    served = new byte[artifact.length * 2];
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () -> downloader(source()).download(sha256, artifact.length, (done, total) -> {}));
    assertEquals("size-exceeded", e.reasonCode());
    assertFalse(Files.exists(dir.resolve(sha256 + ".onnx")));
  }

  @Test
  void tamperedBytesAreRefused() {
    served = artifact.clone();
    served[served.length / 2] ^= 1;
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () -> downloader(source()).download(sha256, artifact.length, (done, total) -> {}));
    assertEquals("sha256-mismatch", e.reasonCode());
  }

  @Test
  void unknownArtifactIsNotFound() {
    ArtifactFetchException e =
        assertThrows(
            ArtifactFetchException.class,
            () -> source().fetch("0".repeat(64), 0, (offset, data, total) -> {}));
    assertEquals(ArtifactFetchException.Kind.NOT_FOUND, e.kind());
  }

  @Test
  void fallsBackToGrpcWhenHttpCannotBeReached() throws Exception {
    InMemoryArtifactSource grpc = new InMemoryArtifactSource();
    grpc.chunkSize = 1 << 20;
    grpc.put(artifact);
    PreferHttpArtifactSource preferred = new PreferHttpArtifactSource(grpc, () -> CREDENTIAL);
    server.stop(0);
    preferred.announce("", server.getAddress().getPort(), "127.0.0.1");
    Path file = downloader(preferred).download(sha256, artifact.length, (done, total) -> {});
    assertArrayEquals(artifact, Files.readAllBytes(file));
    assertEquals(List.of(0L), grpc.requestedOffsets);
  }

  @Test
  void usesHttpOnceAnnouncedAndGrpcBefore() throws Exception {
    InMemoryArtifactSource grpc = new InMemoryArtifactSource();
    grpc.put(artifact);
    PreferHttpArtifactSource preferred = new PreferHttpArtifactSource(grpc, () -> CREDENTIAL);
    preferred.announce("", 0, "127.0.0.1");
    downloader(preferred).download(sha256, artifact.length, (done, total) -> {});
    assertEquals(1, grpc.requestedOffsets.size());
    Files.delete(dir.resolve(sha256 + ".onnx"));

    preferred.announce(base().toString(), 0, "127.0.0.1");
    downloader(preferred).download(sha256, artifact.length, (done, total) -> {});
    assertEquals(1, grpc.requestedOffsets.size(), "second download went over HTTP");
    assertEquals(List.of("none"), ranges);
  }

  @Test
  void anAddressOnAnotherHostThanTheServerNeverGetsTheCredential() throws Exception {
    InMemoryArtifactSource grpc = new InMemoryArtifactSource();
    grpc.put(artifact);
    PreferHttpArtifactSource preferred = new PreferHttpArtifactSource(grpc, () -> CREDENTIAL);
    // The same loopback server, named as another host than the one the agent reaches the
    // server by: a CDN. One that asks for credentials gets none, and gRPC serves.
    URI cdn =
        URI.create("http://localhost:" + server.getAddress().getPort() + "/agent/v1/artifacts/");
    preferred.announce(cdn.toString(), 0, "127.0.0.1");
    Path file = downloader(preferred).download(sha256, artifact.length, (done, total) -> {});
    assertArrayEquals(artifact, Files.readAllBytes(file));
    assertEquals(List.of("none"), authorizations, "the CDN was asked, without the credential");
    assertEquals(List.of(0L), grpc.requestedOffsets, "then gRPC served");
    Files.delete(file);

    // One that serves without credentials is used.
    requireCredential = false;
    preferred.announce(cdn.toString(), 0, "127.0.0.1");
    downloader(preferred).download(sha256, artifact.length, (done, total) -> {});
    assertEquals(List.of("none", "none"), authorizations);
    assertEquals(List.of(0L), grpc.requestedOffsets, "this time HTTP served");
  }

  @Test
  void aRedirectToAnotherHostIsNotFollowedAndGrpcServes() throws Exception {
    List<String> elsewhere = new CopyOnWriteArrayList<>();
    HttpServer other =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    other.createContext(
        "/",
        exchange -> {
          try (exchange) {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            elsewhere.add(authorization == null ? "none" : authorization);
            exchange.sendResponseHeaders(200, artifact.length);
            exchange.getResponseBody().write(artifact);
          }
        });
    other.start();
    try {
      redirectTo = "http://localhost:" + other.getAddress().getPort() + "/stolen/" + sha256;
      InMemoryArtifactSource grpc = new InMemoryArtifactSource();
      grpc.put(artifact);
      PreferHttpArtifactSource preferred = new PreferHttpArtifactSource(grpc, () -> CREDENTIAL);
      preferred.announce(base().toString(), 0, "127.0.0.1");
      Path file = downloader(preferred).download(sha256, artifact.length, (done, total) -> {});
      assertArrayEquals(artifact, Files.readAllBytes(file));
      assertEquals(List.of("Bearer " + CREDENTIAL), authorizations, "the server was asked");
      // HttpURLConnection of JDK 17 drops the credential on a redirect, but the agent does not
      // rely on it: nothing is asked of the other host at all.
      assertEquals(List.of(), elsewhere, "the redirect was followed");
      assertEquals(List.of(0L), grpc.requestedOffsets, "gRPC served instead");
    } finally {
      other.stop(0);
    }
  }

  private ArtifactDownloader downloader(ArtifactSource source) {
    return new ArtifactDownloader(
        source, sha -> dir.resolve(sha + ".onnx"), sha -> dir.resolve(sha + ".part"), 3, 1);
  }

  private HttpArtifactSource source() {
    return new HttpArtifactSource(base(), CREDENTIAL, "127.0.0.1");
  }

  private URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/agent/v1/artifacts");
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String range = exchange.getRequestHeaders().getFirst("Range");
      ranges.add(range == null ? "none" : range);
      String path = exchange.getRequestURI().getPath();
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      authorizations.add(authorization == null ? "none" : authorization);
      if (redirectTo != null) {
        exchange.getResponseHeaders().add("Location", redirectTo);
        exchange.sendResponseHeaders(302, -1);
        return;
      }
      if (requireCredential && !("Bearer " + CREDENTIAL).equals(authorization)) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      if (!path.endsWith("/" + sha256)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = served != null ? served : artifact;
      int offset = range == null ? 0 : Integer.parseInt(range.substring(6, range.length() - 1));
      int length = body.length - offset;
      if (range != null) {
        exchange
            .getResponseHeaders()
            .add("Content-Range", "bytes " + offset + "-" + (body.length - 1) + "/" + body.length);
      }
      int cut = cutAfter;
      cutAfter = -1;
      exchange.sendResponseHeaders(range == null ? 200 : 206, length);
      OutputStream out = exchange.getResponseBody();
      out.write(body, offset, cut >= 0 ? Math.min(cut, length) : length);
      out.flush();
      // With fewer bytes than announced, closing the exchange drops the connection mid-body,
      // as a network failure would.
    }
  }
}
