package dev.modelfleet.server.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.access.Caller;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageParams;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.rollout.RolloutRequests.ActionRequest;
import dev.modelfleet.server.rollout.RolloutRequests.CreateRollout;
import dev.modelfleet.server.rollout.RolloutViews.DeviceView;
import dev.modelfleet.server.rollout.RolloutViews.RolloutSummary;
import dev.modelfleet.server.rollout.RolloutViews.RolloutView;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

/** Staged rollouts: create, watch, and steer them (see docs/rollouts.md). */
@Path("/api/v1/rollouts")
@Produces(MediaType.APPLICATION_JSON)
public class RolloutResource {

  /** Who acts, as rollout events and approvals record it. */
  @Inject Caller caller;

  private final RolloutService rollouts;
  private final RolloutStreams streams;
  private final ObjectMapper json;

  RolloutResource(RolloutService rollouts, RolloutStreams streams, ObjectMapper json) {
    this.rollouts = rollouts;
    this.streams = streams;
    this.json = json;
  }

  @Operation(summary = "Create a rollout from a plan")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = RolloutView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(CreateRollout body) {
    RolloutView created = rollouts.create(Requests.requireBody(body), caller.name());
    return Response.created(UriBuilder.fromPath("/api/v1/rollouts/{id}").build(created.id()))
        .entity(created)
        .build();
  }

  @Operation(summary = "Rollouts, newest first (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = RolloutSummary.class)))
  @GET
  public RestResponse<List<RolloutSummary>> list(
      @QueryParam("state") String state,
      @QueryParam("model") String model,
      @BeanParam PageParams page,
      @Context UriInfo uri) {
    return PageParams.response(rollouts.list(state, model, page.request()), uri);
  }

  @Operation(summary = "One rollout with its progress")
  @GET
  @Path("/{id}")
  public RolloutView get(@PathParam("id") String id) {
    return rollouts.get(id(id));
  }

  /** Every rollout that changes, as server-sent events (see docs/api.md). */
  @Operation(summary = "Every rollout change, as server-sent events")
  @APIResponse(
      responseCode = "200",
      description =
          "An event stream: `event: rollout` with the rollout's JSON (as GET answers it) for each"
              + " rollout that changes, `: keep-alive` comments every 15 s (see docs/api.md)",
      content =
          @Content(mediaType = "text/event-stream", schema = @Schema(type = SchemaType.STRING)))
  @GET
  @Path("/stream")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void streamAll(
      @HeaderParam("Last-Event-ID") String lastEventId,
      @Context SseEventSink sink,
      @Context Sse sse) {
    streams.openFleet(lastEventId, sink, sse);
  }

  /** The rollout now and on every change, as server-sent events, until it ends. */
  @Operation(summary = "One rollout now and on every change, as server-sent events")
  @APIResponse(
      responseCode = "200",
      description =
          "An event stream: `event: rollout` with the rollout's JSON (as GET answers it) at once"
              + " and on every change, `event: end` after a final state (see docs/api.md)",
      content =
          @Content(mediaType = "text/event-stream", schema = @Schema(type = SchemaType.STRING)))
  @GET
  @Path("/{id}/stream")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void stream(
      @PathParam("id") String id,
      @HeaderParam("Last-Event-ID") String lastEventId,
      @Context SseEventSink sink,
      @Context Sse sse) {
    streams.open(id(id), lastEventId, sink, sse);
  }

  @Operation(summary = "A rollout's devices with their state, by wave (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = DeviceView.class)))
  @GET
  @Path("/{id}/devices")
  public RestResponse<List<DeviceView>> devices(
      @PathParam("id") String id,
      @QueryParam("state") String state,
      @BeanParam PageParams page,
      @Context UriInfo uri) {
    return PageParams.response(rollouts.devices(id(id), state, page.request()), uri);
  }

  @Operation(summary = "Start a created or scheduled rollout")
  @POST
  @Path("/{id}/start")
  public RolloutView start(@PathParam("id") String id) {
    return rollouts.start(id(id), caller.name());
  }

  @Operation(summary = "Pause a running rollout")
  @POST
  @Path("/{id}/pause")
  @Consumes(MediaType.WILDCARD)
  public RolloutView pause(@PathParam("id") String id, String body) {
    return rollouts.pause(id(id), caller.name(), reason(body));
  }

  @Operation(summary = "Resume a paused rollout")
  @POST
  @Path("/{id}/resume")
  public RolloutView resume(@PathParam("id") String id) {
    return rollouts.resume(id(id), caller.name());
  }

  @Operation(summary = "Abort a rollout where it stands")
  @POST
  @Path("/{id}/abort")
  @Consumes(MediaType.WILDCARD)
  public RolloutView abort(@PathParam("id") String id, String body) {
    return rollouts.abort(id(id), caller.name(), reason(body));
  }

  @Operation(summary = "Roll a rollout back to the previous versions")
  @POST
  @Path("/{id}/rollback")
  @Consumes(MediaType.WILDCARD)
  public RolloutView rollBack(@PathParam("id") String id, String body) {
    return rollouts.rollBack(id(id), caller.name(), reason(body));
  }

  @Operation(summary = "Approve the next wave of a rollout waiting for approval")
  @POST
  @Path("/{id}/approve")
  public RolloutView approve(@PathParam("id") String id) {
    return rollouts.approve(id(id), caller.name());
  }

  private static UUID id(String id) {
    return Ids.parse("rollout", id);
  }

  /** The optional body {"reason": "..."}; an action without a body is fine too. */
  private String reason(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return json.readValue(body, ActionRequest.class).reason();
    } catch (JsonProcessingException e) {
      throw ApiError.MALFORMED_JSON.exception(
          "The body must be JSON such as {\"reason\": \"wrong build\"}, or empty.");
    }
  }
}
