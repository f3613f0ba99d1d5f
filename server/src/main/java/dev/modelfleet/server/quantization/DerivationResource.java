package dev.modelfleet.server.quantization;

import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.quantization.DerivationViews.CreateDerivation;
import dev.modelfleet.server.quantization.DerivationViews.JobView;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;
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

  DerivationResource(DerivationService derivations) {
    this.derivations = derivations;
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
}
