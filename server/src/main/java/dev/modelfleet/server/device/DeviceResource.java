package dev.modelfleet.server.device;

import dev.modelfleet.server.access.Caller;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.Requests;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

@Path("/api/v1/devices")
@Produces(MediaType.APPLICATION_JSON)
public class DeviceResource {

  /** Who acts, as rollout events and approvals record it. */
  @Inject Caller caller;

  private final DeviceService devices;
  private final DeviceDeployments deployments;
  private final DeviceMismatches mismatches;

  DeviceResource(
      DeviceService devices, DeviceDeployments deployments, DeviceMismatches mismatches) {
    this.devices = devices;
    this.deployments = deployments;
    this.mismatches = mismatches;
  }

  public record LabelsBody(Map<String, String> labels) {}

  /** The answer to a benchmark request: the report follows on the device's stream. */
  public record BenchmarkRequested(UUID deviceId, String status) {}

  @Operation(summary = "Devices by label selector and status, in enrollment order (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = DeviceSummary.class)))
  @GET
  public RestResponse<List<DeviceSummary>> list(
      @QueryParam("selector") String selector,
      @QueryParam("status") String status,
      @BeanParam PageParams page,
      @Context UriInfo uri) {
    return PageParams.response(
        devices.page(selector, status, page.request()).map(DeviceSummary::of), uri);
  }

  @Operation(summary = "One device with its hardware, deployments and mismatches")
  @GET
  @Path("/{id}")
  public DeviceDetails get(@PathParam("id") String id) {
    return details(devices.get(Ids.parse("device", id)));
  }

  @Operation(summary = "Replace a device's labels")
  @PUT
  @Path("/{id}/labels")
  @Consumes(MediaType.APPLICATION_JSON)
  public DeviceDetails replaceLabels(@PathParam("id") String id, LabelsBody body) {
    Requests.requireBody(body);
    if (body.labels() == null) {
      throw ApiError.INVALID_REQUEST.exception(
          "Give the complete new label set as {\"labels\": {...}}.");
    }
    return details(devices.replaceLabels(Ids.parse("device", id), body.labels()));
  }

  @Operation(summary = "Decommission a device")
  @POST
  @Path("/{id}/decommission")
  public DeviceDetails decommission(@PathParam("id") String id) {
    return details(devices.decommission(Ids.parse("device", id)));
  }

  /** Lets a pending device in (see DeviceService#approve). */
  @Operation(summary = "Let a pending device in")
  @POST
  @Path("/{id}/approve")
  public DeviceDetails approve(@PathParam("id") String id) {
    return details(devices.approve(Ids.parse("device", id), caller.name()));
  }

  /** Turns a pending device away for good (see DeviceService#reject). */
  @Operation(summary = "Turn a pending device away")
  @POST
  @Path("/{id}/reject")
  public DeviceDetails reject(@PathParam("id") String id) {
    return details(devices.reject(Ids.parse("device", id), caller.name()));
  }

  @Operation(summary = "Ask a connected device to run its benchmark now")
  @APIResponse(
      responseCode = "202",
      description = "Accepted",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = BenchmarkRequested.class)))
  @POST
  @Path("/{id}/benchmark")
  public Response requestBenchmark(@PathParam("id") String id) {
    Device device = devices.requestBenchmark(Ids.parse("device", id));
    return Response.accepted(new BenchmarkRequested(device.id, "requested")).build();
  }

  private DeviceDetails details(Device d) {
    return DeviceDetails.of(d, deployments, mismatches);
  }
}
