package dev.modelfleet.server.trial;

import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.trial.TrialViews.TrialView;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

@Path("/api/v1/trials")
@Produces(MediaType.APPLICATION_JSON)
public class TrialByIdResource {

  private final TrialReports reports;

  TrialByIdResource(TrialReports reports) {
    this.reports = reports;
  }

  @Operation(summary = "One trial with its results")
  @GET
  @Path("/{id}")
  public TrialView get(@PathParam("id") String id) {
    return reports.get(Ids.parse("trial", id));
  }
}
