package dev.modelfleet.server.artifact;

import dev.modelfleet.server.common.ApiError;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jboss.resteasy.reactive.PathPart;

/**
 * An artifact as an operator downloads it through the admin API (a variant's file, a rejected
 * variant's kept file): streamed, never held whole, with its length, its sha256 (to check the
 * download against) and byte ranges ({@code bytes=<from>-} or {@code bytes=<from>-<to>}) to resume
 * one. The feature that serves it decides who may and which sha256; this only sends the bytes.
 */
@ApplicationScoped
public class ArtifactDownloads {

  /** The response header that carries the artifact's sha256, lowercase hex. */
  public static final String SHA256_HEADER = "X-Checksum-Sha256";

  private final ArtifactStore store;

  ArtifactDownloads(ArtifactStore store) {
    this.store = store;
  }

  /**
   * 200 with the whole artifact, or 206 with the range asked for; 404 when the store no longer
   * holds it, 416 for a range outside it.
   *
   * @param filename what the browser saves it as
   * @param range the Range header, or null
   */
  public Response send(String sha256, String filename, String range) throws IOException {
    Path file = store.localFile(sha256).orElse(null);
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw gone(sha256);
      }
      long size = Files.size(file);
      ByteSpan span = ByteSpan.of(range, size);
      Object body = span.whole(size) ? file : new PathPart(file, span.from(), span.length());
      // the server sets Content-Length for a file (sendfile)
      return headers(Response.status(span.whole(size) ? 200 : 206).entity(body), sha256, filename)
          .header("Content-Range", span.whole(size) ? null : span.contentRange(size))
          .build();
    }
    ArtifactStore.Stored stored;
    try {
      stored = store.open(sha256, 0);
    } catch (NoSuchFileException e) {
      throw gone(sha256);
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
            InputStream in = stored.body();
            in.skipNBytes(span.from());
            long left = span.length();
            byte[] buffer = new byte[64 * 1024];
            while (left > 0) {
              int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
              if (n < 0) {
                break;
              }
              out.write(buffer, 0, n);
              left -= n;
            }
          }
        };
    return headers(Response.status(span.whole(size) ? 200 : 206).entity(body), sha256, filename)
        .header("Content-Length", span.length())
        .header("Content-Range", span.whole(size) ? null : span.contentRange(size))
        .build();
  }

  private static Response.ResponseBuilder headers(
      Response.ResponseBuilder response, String sha256, String filename) {
    return response
        .type("application/octet-stream")
        .header("Accept-Ranges", "bytes")
        .header(SHA256_HEADER, sha256)
        .header("ETag", "\"" + sha256 + "\"")
        .header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  }

  private static RuntimeException gone(String sha256) {
    return ApiError.NOT_FOUND.exception("artifact " + sha256 + " is no longer in the store");
  }
}
