package dev.modelfleet.server.model;

import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.model.ModelViews.CreateModel;
import dev.modelfleet.server.model.ModelViews.CreateVersion;
import dev.modelfleet.server.model.ModelViews.ModelView;
import dev.modelfleet.server.model.ModelViews.RevokeVersion;
import dev.modelfleet.server.model.ModelViews.VersionView;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

  private final ModelService models;

  ModelResource(ModelService models) {
    this.models = models;
  }

  @Operation(summary = "Create a model")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = ModelView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(CreateModel body) {
    Requests.requireBody(body);
    ModelView created = models.create(body.name(), body.description());
    return Response.created(UriBuilder.fromPath("/api/v1/models/{name}").build(created.name()))
        .entity(created)
        .build();
  }

  @Operation(summary = "All models")
  @GET
  public List<ModelView> list() {
    return models.list();
  }

  @Operation(summary = "One model with its versions")
  @GET
  @Path("/{name}")
  public ModelView get(@PathParam("name") String name) {
    return models.get(name);
  }

  @Operation(summary = "Create a version of a model")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = VersionView.class)))
  @POST
  @Path("/{name}/versions")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response createVersion(@PathParam("name") String name, CreateVersion body) {
    Requests.requireBody(body);
    VersionView created = models.createVersion(name, body.version());
    return Response.created(
            UriBuilder.fromPath("/api/v1/models/{name}/versions/{version}")
                .build(name, created.version()))
        .entity(created)
        .build();
  }

  @Operation(summary = "One version with its variants")
  @GET
  @Path("/{name}/versions/{version}")
  public VersionView getVersion(
      @PathParam("name") String name, @PathParam("version") String version) {
    return models.getVersion(name, version);
  }

  @Operation(summary = "Revoke a version: no new assignments or rollouts of it")
  @POST
  @Path("/{name}/versions/{version}/revoke")
  @Consumes(MediaType.APPLICATION_JSON)
  public VersionView revokeVersion(
      @PathParam("name") String name, @PathParam("version") String version, RevokeVersion body) {
    return models.revokeVersion(name, version, body == null ? null : body.reason());
  }
}
