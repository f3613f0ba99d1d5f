package dev.modelfleet.server.matching;

import dev.modelfleet.server.matching.HardwareClassViews.HardwareClassView;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

@Path("/api/v1/hardware-classes")
@Produces(MediaType.APPLICATION_JSON)
public class HardwareClassResource {

  private final HardwareClassService classes;

  HardwareClassResource(HardwareClassService classes) {
    this.classes = classes;
  }

  @GET
  public List<HardwareClassView> list() {
    return classes.list();
  }

  @GET
  @Path("/{id}")
  public HardwareClassView get(@PathParam("id") String id) {
    return classes.get(id);
  }
}
