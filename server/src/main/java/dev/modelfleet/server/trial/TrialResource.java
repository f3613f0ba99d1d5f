package dev.modelfleet.server.trial;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.trial.TrialViews.StartTrial;
import dev.modelfleet.server.trial.TrialViews.TrialView;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

/** Trials of one model version. Single trials by id: {@link TrialByIdResource}. */
@Path("/api/v1/models/{name}/versions/{version}/trials")
@Produces(MediaType.APPLICATION_JSON)
public class TrialResource {

  private final TrialService trials;
  private final TrialReports reports;
  private final DeviceService devices;

  TrialResource(TrialService trials, TrialReports reports, DeviceService devices) {
    this.trials = trials;
    this.reports = reports;
    this.devices = devices;
  }

  /** One transaction: a refused request records no trial. */
  @Operation(summary = "Start a trial of a version's variants on devices")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = TrialView.class)))
  @POST
  @Transactional
  @Consumes(MediaType.APPLICATION_JSON)
  public Response start(
      @PathParam("name") String name, @PathParam("version") String version, StartTrial body) {
    Requests.requireBody(body);
    if ((body.selector() == null) == (body.deviceId() == null)) {
      throw ApiError.INVALID_REQUEST.exception(
          "Give exactly one of 'selector' (a label selector) or 'deviceId'.");
    }
    var modelVersion = ModelService.version(name, version);
    List<Device> targets =
        body.deviceId() != null
            ? List.of(devices.get(Ids.parse("device", body.deviceId())))
            : devices.find(body.selector(), "active");
    TrialView trial = trials.start(modelVersion, targets, body.runs());
    return Response.created(UriBuilder.fromPath("/api/v1/trials/{id}").build(trial.id()))
        .entity(trial)
        .build();
  }

  @Operation(summary = "A version's trials, oldest first (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = TrialView.class)))
  @GET
  @Transactional
  public RestResponse<List<TrialView>> ofVersion(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @BeanParam PageParams page,
      @Context UriInfo uri) {
    PageRequest request = page.request();
    return PageParams.response(
        reports.ofVersion(ModelService.version(name, version), request), uri);
  }
}
