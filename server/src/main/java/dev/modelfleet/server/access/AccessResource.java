package dev.modelfleet.server.access;

import dev.modelfleet.server.access.AccessViews.ApiTokenView;
import dev.modelfleet.server.access.AccessViews.CreateApiToken;
import dev.modelfleet.server.access.AccessViews.CreatedApiToken;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.Requests;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

/** API clients and their roles; admin only (see {@link AccessPolicy}). */
@AdminOnly
@Path("/api/v1/access/tokens")
@Produces(MediaType.APPLICATION_JSON)
public class AccessResource {

  private final ApiTokenService tokens;

  AccessResource(ApiTokenService tokens) {
    this.tokens = tokens;
  }

  @Operation(summary = "Create an API token (its secret is shown once)")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = CreatedApiToken.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(CreateApiToken body, @Context ContainerRequestContext request) {
    Identity creator = (Identity) request.getProperty(Identity.PROPERTY);
    return Response.status(Response.Status.CREATED)
        .entity(tokens.create(Requests.requireBody(body), creator))
        .build();
  }

  @Operation(summary = "API tokens, oldest first (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = ApiTokenView.class)))
  @GET
  public RestResponse<List<ApiTokenView>> list(@BeanParam PageParams page, @Context UriInfo uri) {
    return PageParams.response(tokens.list(page.request()), uri);
  }

  @Operation(summary = "Revoke an API token")
  @POST
  @Path("/{id}/revoke")
  public ApiTokenView revoke(@PathParam("id") String id) {
    return tokens.revoke(Ids.parse("API token", id));
  }
}
