package dev.modelfleet.server.console;

import dev.modelfleet.server.common.ApiException;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.rollout.RolloutPreview;
import dev.modelfleet.server.rollout.RolloutRequests.CreateRollout;
import dev.modelfleet.server.rollout.RolloutRequests.WaveRequest;
import dev.modelfleet.server.rollout.RolloutService;
import dev.modelfleet.server.rollout.RolloutViews.RolloutView;
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
import java.util.List;
import java.util.UUID;

/**
 * Rollouts: the list, the create form with its plan preview, and a rollout's page, whose live part
 * (bars, gates, events, devices with problems) is a fragment the page reloads whenever the rollout
 * stream says it changed. Actions go to the admin API from console.js, so they are checked and
 * audited exactly as the CLI's are.
 */
@Path("/console/rollouts")
@Produces(MediaType.TEXT_HTML)
public class RolloutPage {

  @Inject
  @Location("console/rollouts.html")
  Template list;

  @Inject
  @Location("console/rollout.html")
  Template page;

  @Inject
  @Location("console/rollout-live.html")
  Template live;

  @Inject
  @Location("console/rollout-new.html")
  Template form;

  @Inject
  @Location("console/rollout-preview.html")
  Template preview;

  @Inject ConsoleUser user;
  @Inject RolloutService rollouts;
  @Inject RolloutPreview previews;
  @Inject ModelService models;
  @Inject HardwareNames hardware;
  @Inject Clock clock;

  @GET
  public TemplateInstance list(@QueryParam("state") String state) {
    return list.data("user", user)
        .data("nav", "rollouts")
        .data("state", state == null ? "" : state)
        .data(
            "rollouts",
            rollouts.list(state, null, PageRequest.first(PageRequest.MAX_LIMIT)).items())
        .data("fmt", new Formats(clock));
  }

  @GET
  @Path("/new")
  public TemplateInstance form() {
    return form.data("user", user).data("nav", "rollouts").data("models", models.list());
  }

  /** The plan the form's fields describe, as htmx asks for it while the operator types. */
  @GET
  @Path("/preview")
  public TemplateInstance preview(
      @QueryParam("model") String model,
      @QueryParam("version") String version,
      @QueryParam("selector") String selector,
      @QueryParam("waves") String waves) {
    try {
      CreateRollout request =
          new CreateRollout(
              null,
              blankToNull(model),
              blankToNull(version),
              selector == null ? "" : selector,
              waves(waves),
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null);
      return preview
          .data("plan", previews.preview(request))
          .data("error", null)
          .data("hw", hardware.read());
    } catch (ApiException e) {
      return preview.data("plan", null).data("error", e.getMessage()).data("hw", null);
    }
  }

  @GET
  @Path("/{id}")
  public TemplateInstance get(@PathParam("id") String id) {
    RolloutView rollout = rollouts.get(Ids.parse("rollout", id));
    return page.data("user", user)
        .data("nav", "rollouts")
        .data("r", rollout)
        .data("bars", new WaveBars())
        .data("fmt", new Formats(clock))
        .data("final", isFinal(rollout))
        .data("awaiting", awaitingApproval(rollout));
  }

  /** The part of the rollout page that changes while it runs. */
  @GET
  @Path("/{id}/live")
  public TemplateInstance live(@PathParam("id") String id) {
    UUID rolloutId = Ids.parse("rollout", id);
    RolloutView rollout = rollouts.get(rolloutId);
    return live.data("user", user)
        .data("r", rollout)
        .data("bars", new WaveBars())
        .data("fmt", new Formats(clock))
        .data("final", isFinal(rollout))
        .data("awaiting", awaitingApproval(rollout));
  }

  /** Whether a wave waits for an operator's approval (the Approve button shows only then). */
  static boolean awaitingApproval(RolloutView r) {
    return r.waves().stream().anyMatch(w -> "awaiting_approval".equals(w.state()));
  }

  static boolean isFinal(RolloutView r) {
    return switch (r.state()) {
      case COMPLETED, ABORTED, ROLLED_BACK -> true;
      default -> false;
    };
  }

  /** "1, 10, 50, 100" as waves by percent; empty for the default plan. */
  static List<WaveRequest> waves(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    List<WaveRequest> waves = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.strip().replace("%", "");
      if (p.isEmpty()) {
        continue;
      }
      try {
        waves.add(new WaveRequest(Double.parseDouble(p), null, null, null, null, null, null, null));
      } catch (NumberFormatException e) {
        throw dev.modelfleet.server.common.ApiError.INVALID_REQUEST.exception(
            "Waves are percentages separated by commas, such as '1, 10, 50, 100' (got '"
                + part.strip()
                + "').");
      }
    }
    return waves;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
