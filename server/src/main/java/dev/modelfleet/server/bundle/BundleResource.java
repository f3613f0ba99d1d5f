package dev.modelfleet.server.bundle;

import dev.modelfleet.protocol.agent.v1.BundleEntry;
import dev.modelfleet.server.access.Caller;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.bundle.BundleService.BundleRequest;
import dev.modelfleet.server.bundle.BundleService.Plan;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.Requests;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.net.URI;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Offline bundles: one tar file that brings signed desired states and their artifacts to devices
 * without a link (docs/security.md, "Offline bundles"). The signed parts are made and recorded
 * before the first byte goes out; the artifacts are then streamed from the store, never held in
 * memory, so Content-Length is known up front and the CLI can show progress.
 */
@Path("/api/v1/bundles")
public class BundleResource {

  public static final String MEDIA_TYPE = "application/x-tar";

  private final BundleService bundles;
  private final ArtifactStore store;

  @Inject Caller caller;

  BundleResource(BundleService bundles, ArtifactStore store) {
    this.bundles = bundles;
    this.store = store;
  }

  /** A bundle made earlier: who made it, for which devices, until when. */
  public record BundleView(
      String id,
      String createdBy,
      Instant createdAt,
      Instant expiresAt,
      List<String> deviceIds,
      List<String> hardwareClasses,
      int artifactCount,
      int deltaCount,
      long sizeBytes,
      String indexSha256) {}

  @Operation(
      summary =
          "Make an offline bundle (a signed tar) for devices by id or label selector, and/or for"
              + " hardware classes")
  @APIResponse(
      responseCode = "200",
      description = "The bundle, streamed (Content-Length, X-Bundle-Id, X-Bundle-Expires-At)",
      content =
          @Content(
              mediaType = MEDIA_TYPE,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces({MEDIA_TYPE, MediaType.APPLICATION_JSON})
  public Response create(BundleRequest body) {
    Requests.requireBody(body);
    Plan plan = bundles.prepare(body, caller.name());
    StreamingOutput tar =
        out -> {
          TarWriter writer = new TarWriter(out);
          for (Map.Entry<String, byte[]> document : plan.documents().entrySet()) {
            writer.entry(document.getKey(), document.getValue());
          }
          for (BundleEntry artifact : plan.artifacts()) {
            try (ArtifactStore.Stored stored = store.open(artifact.getSha256(), 0)) {
              writer.entry(artifact.getName(), artifact.getSize(), stored.body());
            }
          }
          writer.finish();
        };
    return Response.ok(tar, MEDIA_TYPE)
        .location(URI.create("/api/v1/bundles/" + plan.id()))
        .header("Content-Length", plan.size())
        .header("X-Bundle-Id", plan.id().toString())
        .header("X-Bundle-Expires-At", plan.expiresAt().toString())
        .header(
            "Content-Disposition",
            "attachment; filename=\"modelfleet-bundle-" + plan.id() + ".tar\"")
        .build();
  }

  @Operation(summary = "A bundle made earlier")
  @GET
  @Path("/{id}")
  @Produces(MediaType.APPLICATION_JSON)
  public BundleView get(@PathParam("id") String id) {
    Bundle b = bundles.get(Ids.parse("bundle", id));
    return new BundleView(
        b.id.toString(),
        b.createdBy,
        b.createdAt,
        b.expiresAt,
        b.deviceIds.isEmpty() ? List.of() : Arrays.asList(b.deviceIds.split(",")),
        b.hardwareClasses == null || b.hardwareClasses.isEmpty()
            ? List.of()
            : Arrays.asList(b.hardwareClasses.split(",")),
        b.artifactCount,
        b.deltaCount,
        b.sizeBytes,
        b.indexSha256);
  }
}
