package dev.modelfleet.agent.deploy;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.state.ActiveModel;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.trust.VerificationException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Puts the models that were active before a restart back in service, from disk, before the agent
 * talks to any server: a device keeps serving offline. Each file is re-hashed first, since the disk
 * may have changed while the agent was down.
 */
public final class ActiveModelRestorer {

  private static final Logger LOG = Logger.getLogger("modelfleet.deploy");

  private ActiveModelRestorer() {}

  /** Returns the models that could not be restored, with why; the rest are in service. */
  public static List<String> restore(
      StateStore store, SmokeTestedLoader loader, ModelRegistry registry) {
    List<String> problems = new ArrayList<>();
    for (ActiveModel model : store.current().activeModels()) {
      Path file = store.artifact(model.sha256());
      if (!ArtifactDownloader.matches(file, model.sha256(), model.size())) {
        problems.add(
            "model "
                + model.model()
                + " "
                + model.version()
                + ": "
                + file
                + " is missing or no longer matches sha256 "
                + model.sha256()
                + "; it will be downloaded again when the server is reachable");
        continue;
      }
      try {
        LoadedModel loaded = loader.load(file, model.model(), model.executionProvider());
        registry.swap(
            new ServedModel(
                model.model(), model.version(), model.variantId(), model.sha256(), loaded));
        LOG.info(
            "model "
                + model.model()
                + " "
                + model.version()
                + " (sha256 "
                + model.sha256().substring(0, 12)
                + "…) ACTIVE from disk");
      } catch (VerificationException e) {
        problems.add("model " + model.model() + " " + model.version() + ": " + e.getMessage());
      }
    }
    problems.forEach(p -> LOG.warning("not restored: " + p));
    return problems;
  }
}
