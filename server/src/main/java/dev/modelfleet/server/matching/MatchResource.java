package dev.modelfleet.server.matching;

import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Explains which variant of a version a device would get, and why each other one was not. */
@Path("/api/v1/devices/{id}/match")
@Produces(MediaType.APPLICATION_JSON)
public class MatchResource {

  private final MatchingService matching;

  MatchResource(MatchingService matching) {
    this.matching = matching;
  }

  @Operation(summary = "Which variant of a version a device would get, and why")
  @GET
  public MatchDecision explain(
      @PathParam("id") String id,
      @QueryParam("model") String model,
      @QueryParam("version") String version,
      @QueryParam("accuracyFloor") String accuracyFloor) {
    Requests.requireParam("model", model);
    Requests.requireParam("version", version);
    Double floor = MatchingService.parseAccuracyFloor(accuracyFloor);
    return matching.explain(Ids.parse("device", id), model, version, floor);
  }
}
