package dev.modelfleet.server.quantization;

import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.quantization.DerivationViews.PolicyRequest;
import dev.modelfleet.server.quantization.DerivationViews.PolicyView;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** A model's standing derivation request: every fp32 variant uploaded afterwards gets a job. */
@Path("/api/v1/models/{name}/derivation-policy")
@Produces(MediaType.APPLICATION_JSON)
public class DerivationPolicyResource {

  private final DerivationService derivations;

  DerivationPolicyResource(DerivationService derivations) {
    this.derivations = derivations;
  }

  @Operation(summary = "Set a model's derivation policy")
  @PUT
  @Consumes(MediaType.APPLICATION_JSON)
  public PolicyView set(@PathParam("name") String name, PolicyRequest body) {
    return derivations.setPolicy(name, Requests.requireBody(body));
  }

  @Operation(summary = "A model's derivation policy")
  @GET
  public PolicyView get(@PathParam("name") String name) {
    return derivations.getPolicy(name);
  }

  @Operation(summary = "Remove a model's derivation policy")
  @APIResponse(responseCode = "204", description = "Removed, or there was none")
  @DELETE
  public Response delete(@PathParam("name") String name) {
    derivations.deletePolicy(name);
    return Response.noContent().build();
  }
}
