package dev.modelfleet.agent.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds the third-party models of /work/shared/models; tests skip where they are absent. */
public final class SharedModels {

  private SharedModels() {}

  /**
   * The model's path; the calling test is skipped (not failed) where ../shared/models is absent,
   * because those third-party models may not be copied into the project.
   */
  public static Path require(String file) {
    Optional<Path> found =
        Stream.of("../shared/models", "../../shared/models")
            .map(base -> Path.of(base, file))
            .filter(Files::isRegularFile)
            .findFirst();
    assumeTrue(
        found.isPresent(),
        file + " not found under ../shared/models or ../../shared/models; skipped");
    return found.get();
  }
}
