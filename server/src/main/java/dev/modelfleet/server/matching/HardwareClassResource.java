package dev.modelfleet.server.matching;

import dev.modelfleet.server.matching.HardwareClassViews.HardwareClassView;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

@Path("/api/v1/hardware-classes")
@Produces(MediaType.APPLICATION_JSON)
public class HardwareClassResource {

  private final HardwareClassService classes;

  HardwareClassResource(HardwareClassService classes) {
    this.classes = classes;
  }

  @Operation(summary = "All hardware classes")
  @GET
  public List<HardwareClassView> list() {
    return classes.list();
  }

  @Operation(summary = "One hardware class with its members and figures")
  @GET
  @Path("/{id}")
  public HardwareClassView get(@PathParam("id") String id) {
    return classes.get(id);
  }
}
