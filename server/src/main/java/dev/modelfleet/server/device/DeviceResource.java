package dev.modelfleet.server.device;

import dev.modelfleet.server.access.Caller;
import dev.modelfleet.server.assignment.DeploymentService;
import dev.modelfleet.server.assignment.DeploymentViews.DeploymentView;
import dev.modelfleet.server.assignment.DeploymentViews.DesiredView;
import dev.modelfleet.server.assignment.DeploymentViews.HistoryView;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.hardware.HardwareInfo;
import dev.modelfleet.server.matching.ProviderMismatchService;
import dev.modelfleet.server.matching.ProviderMismatchService.MismatchView;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

@Path("/api/v1/devices")
@Produces(MediaType.APPLICATION_JSON)
public class DeviceResource {

  /** Who acts, as rollout events and approvals record it. */
  @Inject Caller caller;

  private final DeviceService devices;
  private final DeploymentService deployments;
  private final ProviderMismatchService mismatches;

  DeviceResource(
      DeviceService devices, DeploymentService deployments, ProviderMismatchService mismatches) {
    this.devices = devices;
    this.deployments = deployments;
    this.mismatches = mismatches;
  }

  public record LabelsBody(Map<String, String> labels) {}

  public record DeviceDetails(
      UUID id,
      String name,
      Map<String, String> labels,
      DeviceStatus status,
      Instant enrolledAt,
      Instant lastSeenAt,
      Instant decommissionedAt,
      HardwareInfo hardware,
      String hardwareClassId,
      BenchmarkInfo benchmark,
      List<InstalledModelInfo> installed,
      DesiredView desired,
      List<DeploymentView> deployments,
      List<MismatchView> providerMismatches,
      Instant approvalDecidedAt,
      String approvalDecidedBy) {}

  /** The answer to a benchmark request: the report follows on the device's stream. */
  public record BenchmarkRequested(UUID deviceId, String status) {}

  @GET
  public List<DeviceSummary> list(
      @QueryParam("selector") String selector, @QueryParam("status") String status) {
    return devices.find(selector, status).stream().map(DeviceSummary::of).toList();
  }

  @GET
  @Path("/{id}")
  public DeviceDetails get(@PathParam("id") String id) {
    return details(devices.get(Ids.parse("device", id)));
  }

  /**
   * What the device was told to run and what it reported, newest first: why each version came and
   * went (an assignment, a rollout, a rollback) and when it went active or failed.
   */
  @GET
  @Path("/{id}/history")
  public List<HistoryView> history(@PathParam("id") String id, @QueryParam("limit") Integer limit) {
    int lines = limit == null ? 200 : limit;
    if (lines < 1 || lines > 10_000) {
      throw ApiError.INVALID_REQUEST.exception("'limit' must be between 1 and 10000.");
    }
    return deployments.history(devices.get(Ids.parse("device", id)).id, lines);
  }

  @PUT
  @Path("/{id}/labels")
  @Consumes(MediaType.APPLICATION_JSON)
  public DeviceDetails replaceLabels(@PathParam("id") String id, LabelsBody body) {
    Requests.requireBody(body);
    if (body.labels() == null) {
      throw dev.modelfleet.server.common.ApiError.INVALID_REQUEST.exception(
          "Give the complete new label set as {\"labels\": {...}}.");
    }
    return details(devices.replaceLabels(Ids.parse("device", id), body.labels()));
  }

  @POST
  @Path("/{id}/decommission")
  public DeviceDetails decommission(@PathParam("id") String id) {
    return details(devices.decommission(Ids.parse("device", id)));
  }

  /** Lets a pending device in (see DeviceService#approve). */
  @POST
  @Path("/{id}/approve")
  public DeviceDetails approve(@PathParam("id") String id) {
    return details(devices.approve(Ids.parse("device", id), caller.name()));
  }

  /** Turns a pending device away for good (see DeviceService#reject). */
  @POST
  @Path("/{id}/reject")
  public DeviceDetails reject(@PathParam("id") String id) {
    return details(devices.reject(Ids.parse("device", id), caller.name()));
  }

  @POST
  @Path("/{id}/benchmark")
  public Response requestBenchmark(@PathParam("id") String id) {
    Device device = devices.requestBenchmark(Ids.parse("device", id));
    return Response.accepted(new BenchmarkRequested(device.id, "requested")).build();
  }

  private DeviceDetails details(Device d) {
    return new DeviceDetails(
        d.id,
        d.name,
        d.labels,
        d.status,
        d.enrolledAt,
        d.lastSeenAt,
        d.decommissionedAt,
        d.hardware,
        d.hardwareClassId,
        d.benchmark,
        d.installed,
        deployments.desired(d.id).orElse(null),
        deployments.deployments(d.id),
        mismatches.ofDevice(d.id),
        d.approvalDecidedAt,
        d.approvalDecidedBy);
  }
}
