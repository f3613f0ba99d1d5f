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
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The deltas the server weighed for a version's variants, kept or not. Read-only. */
@Path("/api/v1/models/{name}/versions/{version}/deltas")
@Produces(MediaType.APPLICATION_JSON)
public class DeltaResource {

  /** One delta: from which variant (and version) to which, its size against the target's. */
  public record DeltaView(
      UUID targetVariantId,
      String precision,
      String executionProvider,
      UUID baseVariantId,
      String baseVersion,
      String baseSha256,
      boolean kept,
      String sha256,
      long size,
      long targetSize,
      double sizeRatio,
      long makeMs,
      Instant createdAt) {}

  @Operation(summary = "Deltas made for a version's variants from earlier versions")
  @GET
  @Transactional
  public List<DeltaView> list(
      @PathParam("name") String name, @PathParam("version") String version) {
    ModelVersion target = ModelService.version(name, version);
    return Variant.ofVersion(target).stream()
        .flatMap(
            v ->
                VariantDelta.<VariantDelta>list("targetVariantId = ?1 order by createdAt, id", v.id)
                    .stream()
                    .map(d -> view(v, d)))
        .toList();
  }

  private static DeltaView view(Variant target, VariantDelta d) {
    Variant base = Variant.findById(d.baseVariantId);
    return new DeltaView(
        target.id,
        target.precision,
        target.executionProvider,
        d.baseVariantId,
        base == null ? null : base.version.version,
        d.baseSha256.strip(),
        d.kept,
        d.deltaSha256 == null ? null : d.deltaSha256.strip(),
        d.deltaSize,
        d.targetSize,
        d.targetSize == 0 ? 0 : (double) d.deltaSize / d.targetSize,
        d.makeMs,
        d.createdAt);
  }
}
