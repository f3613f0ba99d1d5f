package dev.modelfleet.agent.runtime;

import java.nio.file.Path;

/** Turns a verified artifact file into a {@link LoadedModel}. */
@FunctionalInterface
public interface ModelLoader {
  LoadedModel load(Path verifiedArtifact) throws ModelLoadException;
}
