package dev.modelfleet.server.downloadpolicy;

import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.downloadpolicy.DownloadPolicyViews.PolicyRequest;
import dev.modelfleet.server.downloadpolicy.DownloadPolicyViews.PolicyView;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** When, how fast and how much devices may download (docs/api.md, "Download policies"). */
@Path("/api/v1/download-policies")
@Produces(MediaType.APPLICATION_JSON)
public class DownloadPolicyResource {

  private final DownloadPolicyService policies;

  DownloadPolicyResource(DownloadPolicyService policies) {
    this.policies = policies;
  }

  @Operation(summary = "Create a download policy for a device or a label selector")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = PolicyView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(PolicyRequest body) {
    PolicyView created = policies.create(Requests.requireBody(body));
    return Response.status(Response.Status.CREATED).entity(created).build();
  }

  @Operation(summary = "Download policies, by name")
  @GET
  public List<PolicyView> list() {
    return policies.list();
  }

  @Operation(summary = "One download policy")
  @GET
  @Path("/{id}")
  public PolicyView get(@PathParam("id") String id) {
    return policies.get(Ids.parse("download policy", id));
  }

  @Operation(summary = "Change a download policy (fields left out keep their value)")
  @PUT
  @Path("/{id}")
  @Consumes(MediaType.APPLICATION_JSON)
  public PolicyView update(@PathParam("id") String id, PolicyRequest body) {
    return policies.update(Ids.parse("download policy", id), Requests.requireBody(body));
  }

  @Operation(summary = "Delete a download policy")
  @DELETE
  @Path("/{id}")
  public PolicyView delete(@PathParam("id") String id) {
    return policies.delete(Ids.parse("download policy", id));
  }
}
