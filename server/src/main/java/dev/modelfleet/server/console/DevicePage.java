package dev.modelfleet.server.console;

import dev.modelfleet.server.assignment.DeploymentService;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.device.DeviceDeployments;
import dev.modelfleet.server.device.DeviceDetails;
import dev.modelfleet.server.device.DeviceMismatches;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.matching.MatchingService;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.ModelViews.ModelView;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * The device list (label selector, status, pages) and one device's page, with two fragments it
 * loads: the matcher's explanation for a chosen version and the deployment history, a page at a
 * time.
 */
@Path("/console/devices")
@Produces(MediaType.TEXT_HTML)
public class DevicePage {

  @Inject
  @Location("console/devices.html")
  Template list;

  @Inject
  @Location("console/device.html")
  Template device;

  @Inject
  @Location("console/device-match.html")
  Template match;

  @Inject
  @Location("console/device-history.html")
  Template history;

  /** History entries per fragment; "Older" fetches the next ones. */
  static final int HISTORY_PAGE = 20;

  @Inject ConsoleUser user;
  @Inject DevicePages pages;
  @Inject DeviceService devices;
  @Inject DeviceDeployments deployments;
  @Inject DeviceMismatches mismatches;
  @Inject HealthSamples health;
  @Inject HardwareNames hardware;
  @Inject MatchingService matching;
  @Inject DeploymentService deploymentHistory;
  @Inject ModelService models;
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
        .data("hw", hardware.read())
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
        .data("choices", versionChoices(details))
        .data("hw", hardware.read())
        .data("fmt", new Formats(clock));
  }

  /**
   * Which variant of {@code version} ("model@version") the matcher picks for the device, and why.
   */
  @GET
  @Path("/{id}/match")
  public TemplateInstance match(@PathParam("id") String id, @QueryParam("version") String version) {
    UUID deviceId = Ids.parse("device", id);
    int at = version == null ? -1 : version.indexOf('@');
    if (at <= 0 || at == version.length() - 1) {
      throw ApiError.INVALID_REQUEST.exception(
          "Choose a model version as model@version (got '" + version + "').");
    }
    return match
        .data(
            "m",
            matching.explain(deviceId, version.substring(0, at), version.substring(at + 1), null))
        .data("hw", hardware.read())
        .data("fmt", new Formats(clock));
  }

  /** A page of the device's deployment history, newest first. */
  @GET
  @Path("/{id}/history")
  public TemplateInstance history(@PathParam("id") String id, @QueryParam("after") String after) {
    UUID deviceId = devices.get(Ids.parse("device", id)).id;
    return history
        .data("deviceId", deviceId)
        .data(
            "page",
            deploymentHistory.history(
                deviceId, PageRequest.of(String.valueOf(HISTORY_PAGE), after)))
        .data("fmt", new Formats(clock));
  }

  /**
   * Every version of every model as "model@version": first what the device is told to run (the
   * select opens on it), then every model's versions, newest first.
   */
  private List<String> versionChoices(DeviceDetails details) {
    java.util.LinkedHashSet<String> choices = new java.util.LinkedHashSet<>();
    if (details.desired() != null) {
      details.desired().models().forEach(m -> choices.add(m.model() + "@" + m.version()));
    }
    for (ModelView m : models.list()) {
      List<String> versions = new ArrayList<>(m.versions());
      java.util.Collections.reverse(versions);
      versions.forEach(v -> choices.add(m.name() + "@" + v));
    }
    return List.copyOf(choices);
  }

  /** The latency and error figures over time, as uPlot reads them (see console.js). */
  @GET
  @Path("/{id}/health")
  @Produces(MediaType.APPLICATION_JSON)
  public List<HealthSamples.Series> health(@PathParam("id") String id) {
    return health.series(Ids.parse("device", id));
  }
}
