package dev.modelfleet.agent.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the third-party models of /work/shared/models; tests skip where they are absent. */
public final class SharedModels {

  private SharedModels() {}

  public static Path require(String file) {
    for (String base : new String[] {"../shared/models", "../../shared/models"}) {
      Path candidate = Path.of(base, file);
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    assumeTrue(false, file + " not found under ../shared/models or ../../shared/models; skipped");
    return null;
  }
}
