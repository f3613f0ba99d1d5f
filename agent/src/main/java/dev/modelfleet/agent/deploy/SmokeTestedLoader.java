package dev.modelfleet.agent.deploy;

import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelLoadException;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.SmokeInputs;
import dev.modelfleet.agent.trust.VerificationException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Loads a verified artifact and runs it on generated inputs before anyone may call it: a model that
 * loads but cannot run is never swapped in.
 */
public final class SmokeTestedLoader {

  private final ModelLoader loader;

  public SmokeTestedLoader(ModelLoader loader) {
    this.loader = loader;
  }

  /** Loads onto {@code executionProvider} (or the CPU, see {@link ModelLoader}) and tests it. */
  public LoadedModel load(Path file, String name, String executionProvider)
      throws VerificationException {
    LoadedModel loaded;
    try {
      loaded = loader.load(file, executionProvider);
    } catch (ModelLoadException e) {
      throw new VerificationException(
          e.reasonCode(), "model " + name + " does not load: " + e.getMessage(), e);
    }
    Exception first = null;
    for (int size : SmokeInputs.DYNAMIC_SIZES) {
      try {
        // Twice: the first run pays for lazy allocations, so the first real request does not.
        for (int i = 0; i < 2; i++) {
          loaded.infer(SmokeInputs.forModel(loaded.inputs(), size), Set.of());
        }
        return loaded;
      } catch (InferenceException | RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    loaded.close();
    throw new VerificationException(
        "smoke-test-failed",
        "model "
            + name
            + " loads but fails a test inference with generated inputs: "
            + first.getMessage(),
        first);
  }
}
