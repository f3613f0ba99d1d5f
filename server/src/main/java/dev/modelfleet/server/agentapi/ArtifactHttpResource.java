package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.server.artifact.ArtifactAccess;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.artifact.ByteSpan;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.DeviceAuthenticator;
import dev.modelfleet.server.pki.AgentTlsConfig;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.PathPart;

/**
 * Artifacts over plain HTTP for agents: the same bytes and the same access rule as FetchArtifact,
 * served with sendfile (no copy through the JVM heap), which is what makes a 100 MB model arrive at
 * close to disk speed. Range requests resume an interrupted download. Authenticated by the device
 * credential, like every agent call. Closed while the agent port requires mutual TLS: a bearer
 * credential alone must not fetch model bytes, and they would travel unencrypted; agents use
 * FetchArtifact over the mutual-TLS channel instead.
 */
@Path("/agent/v1/artifacts")
public class ArtifactHttpResource {

  private static final String BEARER = "Bearer ";

  private final DeviceAuthenticator authenticator;
  private final ArtifactAccess access;
  private final ArtifactStore store;
  private final AgentTlsConfig tls;
  private final DownloadMetrics metrics;

  ArtifactHttpResource(
      DeviceAuthenticator authenticator,
      ArtifactAccess access,
      ArtifactStore store,
      AgentTlsConfig tls,
      DownloadMetrics metrics) {
    this.metrics = metrics;
    this.authenticator = authenticator;
    this.access = access;
    this.store = store;
    this.tls = tls;
  }

  @Operation(summary = "Download an artifact as a device (plaintext agent port only)")
  @APIResponse(
      responseCode = "200",
      description = "The artifact bytes, or the range asked for with 206",
      content =
          @Content(
              mediaType = "application/octet-stream",
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @GET
  @Path("/{sha256}")
  @Produces("application/octet-stream")
  public Response get(
      @PathParam("sha256") String sha256,
      @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
      @HeaderParam("Range") String range,
      @Context RoutingContext routing)
      throws IOException {
    if (tls.mutual()) {
      throw ApiError.FORBIDDEN.exception(
          "the plaintext HTTP artifact path is closed while the agent"
              + " port requires mutual TLS; fetch artifacts with FetchArtifact over gRPC");
    }
    UUID deviceId = authenticate(authorization);
    if (!Dsse.isSha256Hex(sha256)) {
      throw ApiError.INVALID_SHA256.exception("sha256 must be 64 lowercase hex characters");
    }
    if (!access.mayFetch(deviceId, sha256)) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is not assigned to this device");
    }
    java.nio.file.Path file = store.localFile(sha256).orElse(null);
    if (file == null) {
      track(routing);
      return fromStore(sha256, range);
    }
    if (!Files.isRegularFile(file)) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is missing from the store");
    }
    long size = Files.size(file);
    track(routing);
    if (range == null) {
      return Response.ok(file).header("Accept-Ranges", "bytes").build();
    }
    ByteSpan span = ByteSpan.of(range, size);
    return Response.status(206)
        .entity(new PathPart(file, span.from(), span.length()))
        .header("Accept-Ranges", "bytes")
        .header("Content-Range", span.contentRange(size))
        .build();
  }

  /**
   * Streams from a store without local files (object storage), for agents that do not take the
   * presigned address or when direct downloads are off: the bytes pass through this server.
   */
  private Response fromStore(String sha256, String range) throws IOException {
    long offset = range == null ? 0 : ByteSpan.offsetOf(range);
    ArtifactStore.Stored stored;
    try {
      stored = store.open(sha256, offset);
    } catch (NoSuchFileException e) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is missing from the store");
    }
    long size = stored.size();
    ByteSpan span;
    try {
      span = ByteSpan.of(range, size);
    } catch (RuntimeException e) {
      stored.close();
      throw e;
    }
    StreamingOutput body =
        out -> {
          try (stored) {
            copy(stored.body(), out, span.length());
          }
        };
    Response.ResponseBuilder response =
        range == null ? Response.ok(body) : Response.status(206).entity(body);
    response.header("Accept-Ranges", "bytes").header("Content-Length", span.length());
    if (range != null) {
      response.header("Content-Range", span.contentRange(size));
    }
    return response.build();
  }

  /** Copies {@code length} bytes at most: a closed range stops before the stored object does. */
  private static void copy(java.io.InputStream in, java.io.OutputStream out, long length)
      throws IOException {
    byte[] buffer = new byte[1 << 16];
    long left = length;
    int read;
    while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
      out.write(buffer, 0, read);
      left -= read;
    }
  }

  /** Counts the download, and once the response ended or broke off, its bytes and its end. */
  private void track(RoutingContext routing) {
    metrics.started(DownloadMetrics.HTTP);
    routing.addEndHandler(
        ended -> {
          metrics.bytesServed(DownloadMetrics.HTTP, routing.response().bytesWritten());
          metrics.ended(DownloadMetrics.HTTP, ended.succeeded());
        });
  }

  private UUID authenticate(String authorization) {
    String credential =
        authorization != null && authorization.startsWith(BEARER)
            ? authorization.substring(BEARER.length()).trim()
            : null;
    return authenticator
        .authenticate(credential)
        .orElseThrow(
            () ->
                ApiError.UNAUTHENTICATED.exception(
                    "Send the device credential as 'Authorization: Bearer <credential>'; a "
                        + "decommissioned device must be enrolled again."));
  }
}
