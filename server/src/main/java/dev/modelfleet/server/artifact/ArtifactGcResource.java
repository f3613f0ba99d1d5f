package dev.modelfleet.server.artifact;

import dev.modelfleet.server.access.AdminOnly;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

/**
 * Runs the artifact garbage collector now, or shows what it would remove. Admin-only, like all of
 * /api/v1/system. A thin adapter over {@link ArtifactCollector}.
 */
@AdminOnly
@Path("/api/v1/system/artifacts/gc")
@Produces(MediaType.APPLICATION_JSON)
public class ArtifactGcResource {

  private final ArtifactCollector collector;

  ArtifactGcResource(ArtifactCollector collector) {
    this.collector = collector;
  }

  @Operation(
      summary = "Remove unreferenced artifacts older than the grace period",
      description =
          "Removes stored artifacts no variant names that are older than"
              + " MODELFLEET_ARTIFACT_GC_GRACE, and unfinished uploads older than it. ran is false"
              + " when another replica is collecting at the moment.")
  @POST
  public ArtifactCollector.Run collect(
      @Parameter(description = "List what would be removed; remove nothing")
          @QueryParam("dryRun")
          @DefaultValue("false")
          boolean dryRun) {
    return collector.collect(dryRun);
  }
}
