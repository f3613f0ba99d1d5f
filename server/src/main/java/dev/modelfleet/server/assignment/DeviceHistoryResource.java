package dev.modelfleet.server.assignment;

import dev.modelfleet.server.assignment.DeploymentViews.HistoryView;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.device.DeviceService;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * A device's deployment history, which assignment keeps. Listed in the OpenAPI document with the
 * other device endpoints, where it was before it moved here.
 */
@Tag(ref = "Device Resource")
@Path("/api/v1/devices/{id}/history")
@Produces(MediaType.APPLICATION_JSON)
public class DeviceHistoryResource {

  private final DeviceService devices;
  private final DeploymentService deployments;

  DeviceHistoryResource(DeviceService devices, DeploymentService deployments) {
    this.devices = devices;
    this.deployments = deployments;
  }

  /**
   * What the device was told to run and what it reported, newest first: why each version came and
   * went (an assignment, a rollout, a rollback) and when it went active or failed.
   */
  @Operation(summary = "A device's deployment history, newest first (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = HistoryView.class)))
  @GET
  public RestResponse<List<HistoryView>> history(
      @PathParam("id") String id, @BeanParam PageParams page, @Context UriInfo uri) {
    PageRequest request = page.request();
    return PageParams.response(
        deployments.history(devices.get(Ids.parse("device", id)).id, request), uri);
  }
}
