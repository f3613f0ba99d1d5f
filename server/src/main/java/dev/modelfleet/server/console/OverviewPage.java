package dev.modelfleet.server.console;

import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.rollout.RolloutService;
import dev.modelfleet.server.rollout.RolloutState;
import dev.modelfleet.server.rollout.RolloutViews.RolloutView;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;

/** The fleet at a glance: devices, hardware classes, versions in the field, rollouts, warnings. */
@Path("/console")
@Produces(MediaType.TEXT_HTML)
public class OverviewPage {

  /** Rollouts shown with their bars; the rollouts page lists all. */
  private static final int ROLLOUTS_SHOWN = 5;

  @Inject
  @Location("console/overview.html")
  Template overview;

  @Inject
  @Location("console/overview-rollouts.html")
  Template rolloutsPart;

  @Inject ConsoleUser user;
  @Inject ExpiryWarnings expiries;
  @Inject FleetFigures fleet;
  @Inject RolloutService rollouts;
  @Inject HardwareNames hardware;

  @GET
  public TemplateInstance get() {
    FleetFigures.Figures figures = fleet.figures();
    Rollouts inProgress = rolloutsInProgress();
    List<String> warnings = new ArrayList<>();
    long pending = figures.byStatus().getOrDefault("pending", 0L);
    if (pending > 0) {
      warnings.add(pending + " device(s) wait for approval: see Devices, status pending.");
    }
    if (inProgress.paused() > 0) {
      warnings.add(
          inProgress.paused()
              + " rollout(s) paused: open them to see why, then resume or roll back.");
    }
    if (figures.fallbacks() > 0) {
      warnings.add(
          figures.fallbacks()
              + " device(s) ran a variant on another execution provider than it was matched for.");
    }
    if (figures.failedDerivations() > 0) {
      warnings.add(figures.failedDerivations() + " derivation job(s) failed: see Models.");
    }
    if (figures.silent() > 0) {
      warnings.add(figures.silent() + " active device(s) missed three heartbeats or more.");
    }
    warnings.addAll(expiries.warnings());
    return overview
        .data("user", user)
        .data("nav", "overview")
        .data("fleet", figures)
        .data("rollouts", inProgress.shown())
        .data("warnings", warnings)
        .data("hw", hardware.read())
        .data("bars", new WaveBars());
  }

  /** The rollouts part alone, which the page reloads when the fleet's rollout stream says so. */
  @GET
  @Path("/overview/rollouts")
  public TemplateInstance rollouts() {
    return rolloutsPart
        .data("user", user)
        .data("rollouts", rolloutsInProgress().shown())
        .data("bars", new WaveBars());
  }

  private record Rollouts(List<RolloutView> shown, long paused) {}

  /** Only the rollouts in progress: a long history of finished ones costs the overview nothing. */
  private Rollouts rolloutsInProgress() {
    List<RolloutView> shown = new ArrayList<>();
    long paused = 0;
    for (String state : List.of("running", "paused")) {
      for (var summary :
          rollouts.list(state, null, PageRequest.first(PageRequest.MAX_LIMIT)).items()) {
        if (summary.state() == RolloutState.PAUSED) {
          paused++;
        }
        if (shown.size() < ROLLOUTS_SHOWN) {
          shown.add(rollouts.counts(summary.id()));
        }
      }
    }
    return new Rollouts(shown, paused);
  }
}
