package dev.modelfleet.server.delta;

import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** How a version's variants weighed compressed whole, kept or not. Read-only. */
@Path("/api/v1/models/{name}/versions/{version}/compressions")
@Produces(MediaType.APPLICATION_JSON)
public class CompressionResource {

  /** One variant's compressed copy: its size against the variant's, and whether it is offered. */
  public record CompressionView(
      UUID variantId,
      String precision,
      String executionProvider,
      String encoding,
      boolean kept,
      String sha256,
      long size,
      long targetSize,
      double sizeRatio,
      long makeMs,
      Instant createdAt) {}

  @Operation(summary = "Whole-artifact compression weighed for a version's variants")
  @GET
  @Transactional
  public List<CompressionView> list(
      @PathParam("name") String name, @PathParam("version") String version) {
    ModelVersion target = ModelService.version(name, version);
    return Variant.ofVersion(target).stream()
        .map(v -> view(v, VariantCompression.findById(v.id)))
        .filter(Objects::nonNull)
        .toList();
  }

  private static CompressionView view(Variant variant, VariantCompression c) {
    if (c == null) {
      return null;
    }
    return new CompressionView(
        variant.id,
        variant.precision,
        variant.executionProvider,
        c.encoding,
        c.kept,
        c.compressedSha256 == null ? null : c.compressedSha256.strip(),
        c.compressedSize,
        c.targetSize,
        c.targetSize == 0 ? 0 : (double) c.compressedSize / c.targetSize,
        c.makeMs,
        c.createdAt);
  }
}
