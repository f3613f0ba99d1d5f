package dev.modelfleet.server.assignment;

import dev.modelfleet.server.assignment.AssignmentViews.AssignRequest;
import dev.modelfleet.server.assignment.AssignmentViews.AssignmentResult;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.matching.MatchingService;
import dev.modelfleet.server.model.ModelService;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;

@Path("/api/v1/models/{name}/versions/{version}/assignments")
public class AssignmentResource {

  private final AssignmentService assignments;
  private final DeviceService devices;

  AssignmentResource(AssignmentService assignments, DeviceService devices) {
    this.assignments = assignments;
    this.devices = devices;
  }

  /** One transaction: the devices chosen are the devices assigned. */
  @Operation(summary = "Assign a version to devices now")
  @POST
  @Transactional
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces(MediaType.APPLICATION_JSON)
  public AssignmentResult assign(
      @PathParam("name") String name, @PathParam("version") String version, AssignRequest body) {
    Requests.requireBody(body);
    if ((body.selector() == null) == (body.deviceId() == null)) {
      throw ApiError.INVALID_REQUEST.exception(
          "Give exactly one of 'selector' (a label selector) or 'deviceId'.");
    }
    Double accuracyFloor = MatchingService.checkAccuracyFloor(body.accuracyFloor());
    var modelVersion = ModelService.usableVersion(name, version);
    List<UUID> targets =
        body.deviceId() != null
            ? List.of(devices.get(Ids.parse("device", body.deviceId())).id)
            : devices.find(body.selector(), "active").stream().map(d -> d.id).toList();
    return assignments.assign(targets, modelVersion, accuracyFloor);
  }
}
