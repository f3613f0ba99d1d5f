package dev.modelfleet.server.console;

import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.device.DeviceDeployments;
import dev.modelfleet.server.device.DeviceDetails;
import dev.modelfleet.server.device.DeviceMismatches;
import dev.modelfleet.server.device.DeviceService;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/** The device list (label selector, status, pages) and one device's page. */
@Path("/console/devices")
@Produces(MediaType.TEXT_HTML)
public class DevicePage {

  @Inject
  @Location("console/devices.html")
  Template list;

  @Inject
  @Location("console/device.html")
  Template device;

  @Inject ConsoleUser user;
  @Inject DevicePages pages;
  @Inject DeviceService devices;
  @Inject DeviceDeployments deployments;
  @Inject DeviceMismatches mismatches;
  @Inject HealthSamples health;
  @Inject Clock clock;

  @GET
  public TemplateInstance list(
      @QueryParam("selector") String selector,
      @QueryParam("status") String status,
      @QueryParam("after") String after) {
    return list.data("user", user)
        .data("nav", "devices")
        .data("selector", selector == null ? "" : selector)
        .data("status", status == null ? "" : status)
        .data("statuses", List.of("pending", "active", "rejected", "decommissioned"))
        .data("page", pages.page(selector, status, after))
        .data("now", clock.instant())
        .data("fmt", new Formats(clock));
  }

  @GET
  @Path("/{id}")
  public TemplateInstance get(@PathParam("id") String id) {
    UUID deviceId = Ids.parse("device", id);
    DeviceDetails details = DeviceDetails.of(devices.get(deviceId), deployments, mismatches);
    List<BenchmarkInfo.Figure> figures =
        details.benchmark() == null
            ? List.of()
            : details.benchmark().results().stream()
                .sorted(
                    Comparator.comparing(BenchmarkInfo.Figure::executionProvider)
                        .thenComparing(BenchmarkInfo.Figure::precision)
                        .thenComparing(BenchmarkInfo.Figure::kernel))
                .toList();
    double best = figures.stream().mapToDouble(BenchmarkInfo.Figure::gmacs).max().orElse(0);
    return device
        .data("user", user)
        .data("nav", "devices")
        .data("d", details)
        .data("figures", figures)
        .data("best", best)
        .data("versions", health.versions(deviceId))
        .data("fmt", new Formats(clock));
  }

  /** The latency and error figures over time, as uPlot reads them (see console.js). */
  @GET
  @Path("/{id}/health")
  @Produces(MediaType.APPLICATION_JSON)
  public List<HealthSamples.Series> health(@PathParam("id") String id) {
    return health.series(Ids.parse("device", id));
  }
}
