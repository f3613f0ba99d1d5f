package dev.modelfleet.server.assignment;

import dev.modelfleet.server.assignment.DeploymentViews.HistoryView;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.device.DeviceService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

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
  @GET
  public List<HistoryView> history(@PathParam("id") String id, @QueryParam("limit") Integer limit) {
    int lines = limit == null ? 200 : limit;
    if (lines < 1 || lines > 10_000) {
      throw ApiError.INVALID_REQUEST.exception("'limit' must be between 1 and 10000.");
    }
    return deployments.history(devices.get(Ids.parse("device", id)).id, lines);
  }
}
