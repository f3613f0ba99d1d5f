package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.server.artifact.ArtifactAccess;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.artifact.ByteSpan;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;
import dev.modelfleet.server.common.Problem;
import dev.modelfleet.server.device.DeviceAuthenticator;
import dev.modelfleet.server.pki.AgentServerIdentity;
import dev.modelfleet.server.pki.AgentTlsConfig;
import dev.modelfleet.server.pki.DeviceCertificates;
import dev.modelfleet.server.pki.DeviceCertificates.Verdict;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.TrustOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jboss.logging.Logger;

/**
 * The fast artifact path under mutual TLS: {@code GET /agent/v1/artifacts/<sha256>} on a port of
 * its own ({@code modelfleet.agent-tls.artifact-port}), for devices only. A device presents its
 * certificate (checked per request like on the gRPC port: issued by the fleet CA, known, not
 * revoked, device not decommissioned) and its credential as bearer token; both must name the same
 * device, which may fetch only what {@link ArtifactAccess} allows. Range resumes a download.
 *
 * <p>A Vert.x server of this feature rather than a second Quarkus HTTP server: Quarkus has one
 * HTTPS port, shared with the admin API and configured from certificate files, while this port
 * needs the server's in-memory fleet-CA identity and client certificates from devices only (see
 * docs/architecture.md). TLS rules out sendfile, so the file is read in large buffers on a worker
 * and written as it drains.
 */
@ApplicationScoped
class ArtifactHttpsServer {

  static final String PREFIX = "/agent/v1/artifacts/";

  /** Bytes read from the file per write; large, so TLS records and syscalls stay few. */
  private static final int BUFFER = 1 << 20;

  private static final String BEARER = "Bearer ";
  private static final Logger LOG = Logger.getLogger(ArtifactHttpsServer.class);

  private final Vertx vertx;
  private final AgentTlsConfig config;
  private final AgentServerIdentity identity;
  private final DeviceCertificates certificates;
  private final DeviceAuthenticator authenticator;
  private final ArtifactAccess access;
  private final ArtifactStore store;
  private final DownloadMetrics metrics;
  private volatile HttpServer server;

  ArtifactHttpsServer(
      Vertx vertx,
      AgentTlsConfig config,
      AgentServerIdentity identity,
      DeviceCertificates certificates,
      DeviceAuthenticator authenticator,
      ArtifactAccess access,
      ArtifactStore store,
      DownloadMetrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.identity = identity;
    this.certificates = certificates;
    this.authenticator = authenticator;
    this.access = access;
    this.store = store;
    this.metrics = metrics;
  }

  void start(@Observes StartupEvent started) throws Exception {
    if (!config.mutual() || config.artifactPort() < 0) {
      return;
    }
    HttpServerOptions options =
        new HttpServerOptions()
            .setPort(config.artifactPort())
            .setSsl(true)
            .setKeyCertOptions(KeyCertOptions.wrap(identity.keyManagers()))
            .setTrustOptions(TrustOptions.wrap(identity.clientTrust()))
            // asked for, not required: a request without one gets a 401 that says why
            .setClientAuth(ClientAuth.REQUEST)
            .setTcpNoDelay(true);
    if (OpenSSLEngineOptions.isAvailable()) {
      // BoringSSL encrypts several times faster than the JDK's SSLEngine here
      options.setSslEngineOptions(new OpenSSLEngineOptions());
    }
    server =
        vertx
            .createHttpServer(options)
            .requestHandler(this::handle)
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    LOG.infof(
        "HTTPS artifact path for devices (mutual TLS) on port %d (TLS by %s)",
        server.actualPort(), OpenSSLEngineOptions.isAvailable() ? "OpenSSL" : "the JDK");
  }

  void stop(@Observes ShutdownEvent stopping) throws Exception {
    HttpServer running = server;
    server = null;
    if (running != null) {
      running.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** The port agents are told, 0 while there is none. */
  int port() {
    HttpServer running = server;
    return running == null ? 0 : running.actualPort();
  }

  private void handle(HttpServerRequest request) {
    if (request.method() != HttpMethod.GET || !request.path().startsWith(PREFIX)) {
      problem(request.response(), ApiError.NOT_FOUND.exception("only GET " + PREFIX + "<sha256>"));
      return;
    }
    String sha256 = request.path().substring(PREFIX.length());
    Optional<X509Certificate> certificate = clientCertificate(request.sslSession());
    String authorization = request.getHeader("Authorization");
    String range = request.getHeader("Range");
    vertx
        .executeBlocking(() -> authorize(certificate, authorization, sha256), false)
        .onSuccess(deviceId -> serve(request, sha256, range))
        .onFailure(e -> problem(request.response(), e));
  }

  /** The same two proofs as the gRPC port, then the one access rule of every download. */
  private UUID authorize(
      Optional<X509Certificate> certificate, String authorization, String sha256) {
    if (certificate.isEmpty()) {
      throw ApiError.UNAUTHENTICATED.exception(
          "no client certificate: this port serves devices only, which present the certificate"
              + " issued at enrollment");
    }
    Verdict verdict = certificates.check(certificate.get());
    if (!verdict.accepted()) {
      throw ApiError.UNAUTHENTICATED.exception(verdict.refusal());
    }
    Optional<UUID> device =
        authorization != null && authorization.startsWith(BEARER)
            ? authenticator.authenticate(authorization.substring(BEARER.length()).trim())
            : Optional.empty();
    if (device.isEmpty()) {
      throw ApiError.UNAUTHENTICATED.exception(
          "Send the device credential as 'Authorization: Bearer <credential>'; a decommissioned"
              + " device must be enrolled again.");
    }
    if (!device.get().equals(verdict.deviceId())) {
      throw ApiError.UNAUTHENTICATED.exception(
          "the client certificate belongs to another device than the credential");
    }
    if (!Dsse.isSha256Hex(sha256)) {
      throw ApiError.INVALID_SHA256.exception("sha256 must be 64 lowercase hex characters");
    }
    if (!access.mayFetch(device.get(), sha256)) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is not assigned to this device");
    }
    return device.get();
  }

  private void serve(HttpServerRequest request, String sha256, String range) {
    Optional<Path> local = store.localFile(sha256);
    if (local.isPresent()) {
      serveFile(request, sha256, local.get(), range);
    } else {
      vertx
          .executeBlocking(() -> pumpFromStore(request, sha256, range), false)
          .onFailure(e -> problem(request.response(), e));
    }
  }

  /** A file on this server's disk, read in large buffers off the event loop and piped out. */
  private void serveFile(HttpServerRequest request, String sha256, Path file, String range) {
    HttpServerResponse response = request.response();
    long size;
    ByteSpan span;
    try {
      if (!Files.isRegularFile(file)) {
        throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is missing from the store");
      }
      size = Files.size(file);
      span = ByteSpan.of(range, size);
    } catch (IOException | RuntimeException e) {
      problem(response, e);
      return;
    }
    vertx
        .fileSystem()
        .open(file.toString(), new OpenOptions().setRead(true).setWrite(false))
        .onFailure(e -> problem(response, e))
        .onSuccess(
            opened -> {
              opened.setReadBufferSize(BUFFER).setReadPos(span.from()).setReadLength(span.length());
              head(response, range != null, span, size);
              track(response);
              // the file is closed however the transfer ends (a broken-off download too)
              opened.pipeTo(response).onComplete(done -> opened.close());
            });
  }

  /** From a store without local files: a blocking copy on a worker, paced by the socket. */
  private Void pumpFromStore(HttpServerRequest request, String sha256, String range)
      throws Exception {
    HttpServerResponse response = request.response();
    long offset = range == null ? 0 : ByteSpan.offsetOf(range);
    ArtifactStore.Stored stored;
    try {
      stored = store.open(sha256, offset);
    } catch (NoSuchFileException e) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is missing from the store");
    }
    try (stored) {
      ByteSpan span = ByteSpan.of(range, stored.size());
      head(response, range != null, span, stored.size());
      track(response);
      InputStream body = stored.body();
      byte[] buffer = new byte[BUFFER];
      long left = span.length();
      int read;
      while (left > 0 && (read = body.readNBytes(buffer, 0, (int) Math.min(BUFFER, left))) > 0) {
        left -= read;
        if (response.closed()) {
          return null;
        }
        response.write(Buffer.buffer(read).appendBytes(buffer, 0, read));
        if (response.writeQueueFull()) {
          CompletableFuture<Void> drained = new CompletableFuture<>();
          response.drainHandler(v -> drained.complete(null));
          response.closeHandler(v -> drained.complete(null));
          if (response.writeQueueFull()) {
            drained.get();
          }
        }
      }
      response.end();
    }
    return null;
  }

  private static void head(HttpServerResponse response, boolean partial, ByteSpan span, long size) {
    response
        .setStatusCode(partial ? 206 : 200)
        .putHeader("Content-Type", "application/octet-stream")
        .putHeader("Accept-Ranges", "bytes")
        .putHeader("Content-Length", Long.toString(span.length()));
    if (partial) {
      response.putHeader("Content-Range", span.contentRange(size));
    }
  }

  /** Counts the download, and once the response ended or broke off, its bytes and its end. */
  private void track(HttpServerResponse response) {
    metrics.started(DownloadMetrics.HTTPS);
    boolean[] counted = {false};
    response.endHandler(
        v -> {
          counted[0] = true;
          metrics.bytesServed(DownloadMetrics.HTTPS, response.bytesWritten());
          metrics.ended(DownloadMetrics.HTTPS, true);
        });
    response.closeHandler(
        v -> {
          if (!counted[0]) {
            counted[0] = true;
            metrics.bytesServed(DownloadMetrics.HTTPS, response.bytesWritten());
            metrics.ended(DownloadMetrics.HTTPS, false);
          }
        });
  }

  private static void problem(HttpServerResponse response, Throwable failure) {
    if (response.headWritten() || response.closed()) {
      response.reset();
      return;
    }
    Problem problem;
    if (failure instanceof ApiException api) {
      problem = Problem.of(api.error(), api.detail());
    } else {
      LOG.warn("artifact download over HTTPS failed", failure);
      problem = Problem.of(ApiError.INTERNAL_ERROR, "The server failed; see its log.");
    }
    response
        .setStatusCode(problem.status())
        .putHeader("Content-Type", Problem.MEDIA_TYPE)
        .end(JsonObject.mapFrom(problem).encode());
  }

  private static Optional<X509Certificate> clientCertificate(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x509
          ? Optional.of(x509)
          : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}
