package dev.modelfleet.server.console;

import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.matching.HardwareClassService;
import dev.modelfleet.server.matching.HardwareClassViews.TrialFigure;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.ModelViews.ModelView;
import dev.modelfleet.server.model.ModelViews.VersionView;
import dev.modelfleet.server.quantization.DerivationService;
import dev.modelfleet.server.quantization.DerivationViews.JobView;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Models with their versions, variants and derivation jobs. */
@Path("/console/models")
@Produces(MediaType.TEXT_HTML)
public class ModelPage {

  @Inject
  @Location("console/models.html")
  Template page;

  @Inject ConsoleUser user;
  @Inject ModelService models;
  @Inject DerivationService derivations;
  @Inject HardwareClassService hardwareClasses;
  @Inject HardwareNames hardware;
  @Inject Clock clock;

  /** A model's versions, newest first, each with its derivation jobs. */
  public record Entry(ModelView model, List<VersionEntry> versions) {}

  public record VersionEntry(VersionView version, List<JobView> jobs, List<ClassTrial> trials) {}

  /** What trials measured for one variant on one hardware class. */
  public record ClassTrial(String hardwareClassId, TrialFigure figure) {}

  @GET
  public TemplateInstance get() {
    Map<UUID, List<ClassTrial>> trialsByVariant = new HashMap<>();
    hardwareClasses
        .trials()
        .forEach(
            (classId, figures) ->
                figures.forEach(
                    f ->
                        trialsByVariant
                            .computeIfAbsent(f.variantId(), k -> new ArrayList<>())
                            .add(new ClassTrial(classId, f))));
    List<Entry> entries = new ArrayList<>();
    for (ModelView m : models.list()) {
      List<VersionEntry> versions = new ArrayList<>();
      List<String> newestFirst = new ArrayList<>(m.versions());
      java.util.Collections.reverse(newestFirst);
      for (String v : newestFirst) {
        VersionView version = models.getVersion(m.name(), v);
        List<ClassTrial> trials = new ArrayList<>();
        for (var variant : version.variants()) {
          trials.addAll(trialsByVariant.getOrDefault(variant.id(), List.of()));
        }
        versions.add(
            new VersionEntry(
                version,
                derivations.list(m.name(), v, PageRequest.first(PageRequest.MAX_LIMIT)).items(),
                trials));
      }
      entries.add(new Entry(m, versions));
    }
    return page.data("user", user)
        .data("nav", "models")
        .data("models", entries)
        .data("hw", hardware.read())
        .data("fmt", new Formats(clock));
  }
}
