package dev.modelfleet.agent.runtime;

import java.nio.file.Path;

/** Turns a verified artifact file into a {@link LoadedModel}. */
@FunctionalInterface
public interface ModelLoader {

  /** The execution provider every loader can run a model on, and the one an empty name means. */
  String CPU = "cpu";

  LoadedModel load(Path verifiedArtifact) throws ModelLoadException;

  /**
   * Loads for a variant's execution provider. Loaders without providers (test fakes) run everything
   * where {@link #load(Path)} does.
   */
  default LoadedModel load(Path verifiedArtifact, String executionProvider)
      throws ModelLoadException {
    return load(verifiedArtifact);
  }
}
