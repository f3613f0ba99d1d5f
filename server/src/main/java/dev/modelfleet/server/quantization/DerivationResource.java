package dev.modelfleet.server.quantization;

import dev.modelfleet.server.artifact.ArtifactDownloads;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.quantization.DerivationViews.CreateDerivation;
import dev.modelfleet.server.quantization.DerivationViews.JobView;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

/** Derived (int8, fp16) variants of a version: start a job, follow its progress and figures. */
@Path("/api/v1/models/{name}/versions/{version}/derivations")
@Produces(MediaType.APPLICATION_JSON)
public class DerivationResource {

  private final DerivationService derivations;
  private final ArtifactDownloads downloads;

  DerivationResource(DerivationService derivations, ArtifactDownloads downloads) {
    this.derivations = derivations;
    this.downloads = downloads;
  }

  /** 202 with the queued job; the work runs in the background. */
  @Operation(summary = "Derive int8 or fp16 variants from the fp32 one")
  @APIResponse(
      responseCode = "202",
      description = "Accepted",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = JobView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response start(
      @PathParam("name") String name, @PathParam("version") String version, CreateDerivation body) {
    Requests.requireBody(body);
    JobView job = derivations.start(name, version, body);
    return Response.accepted(job)
        .location(
            UriBuilder.fromPath("/api/v1/models/{name}/versions/{version}/derivations/{id}")
                .build(name, version, job.id()))
        .build();
  }

  @Operation(summary = "A version's derivation jobs, oldest first (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = JobView.class)))
  @GET
  public RestResponse<List<JobView>> list(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @BeanParam PageParams page,
      @Context UriInfo uri) {
    return PageParams.response(derivations.list(name, version, page.request()), uri);
  }

  @Operation(summary = "One derivation job")
  @GET
  @Path("/{jobId}")
  public JobView get(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @PathParam("jobId") String jobId) {
    return derivations.get(name, version, Ids.parse("derivation job", jobId));
  }

  /**
   * A rejected variant's file while it is kept (modelfleet.derivation.rejected-retention), for an
   * operator to inspect; streamed like a variant's file. An accepted one is a variant of the
   * version: download it there.
   */
  @Operation(summary = "Download a rejected variant's kept file")
  @APIResponse(
      responseCode = "200",
      description = "The file, or the range asked for with 206",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @GET
  @Path("/{jobId}/variants/{kind}/file")
  @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
  public Response rejectedFile(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @PathParam("jobId") String jobId,
      @PathParam("kind") String kind,
      @HeaderParam("Range") String range)
      throws IOException {
    String sha256 =
        derivations.rejectedFile(name, version, Ids.parse("derivation job", jobId), kind);
    return downloads.send(sha256, name + "-" + version + "-" + kind + "-rejected.onnx", range);
  }
}
