package dev.modelfleet.server.enrollment;

import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.enrollment.EnrollmentTokenViews.CreateToken;
import dev.modelfleet.server.enrollment.EnrollmentTokenViews.CreatedToken;
import dev.modelfleet.server.enrollment.EnrollmentTokenViews.TokenView;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
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

@Path("/api/v1/enrollment-tokens")
@Produces(MediaType.APPLICATION_JSON)
public class EnrollmentTokenResource {

  private final EnrollmentTokenService tokens;

  EnrollmentTokenResource(EnrollmentTokenService tokens) {
    this.tokens = tokens;
  }

  @Operation(summary = "Create an enrollment token (its secret is shown once)")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = CreatedToken.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(CreateToken body) {
    CreatedToken created = tokens.create(Requests.requireBody(body));
    return Response.status(Response.Status.CREATED).entity(created).build();
  }

  @Operation(summary = "Enrollment tokens, oldest first (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = TokenView.class)))
  @GET
  public RestResponse<List<TokenView>> list(@BeanParam PageParams page, @Context UriInfo uri) {
    return PageParams.response(tokens.list(page.request()), uri);
  }

  @Operation(summary = "Revoke an enrollment token")
  @POST
  @Path("/{id}/revoke")
  public TokenView revoke(@PathParam("id") String id) {
    return tokens.revoke(Ids.parse("enrollment token", id));
  }

  @Operation(summary = "Revoke an enrollment token (as POST .../revoke)")
  @DELETE
  @Path("/{id}")
  public TokenView delete(@PathParam("id") String id) {
    return revoke(id);
  }
}
