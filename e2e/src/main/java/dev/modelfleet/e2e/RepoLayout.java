package dev.modelfleet.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where the built server and agent live, found from any working directory inside the repo. */
public final class RepoLayout {

  private final Path root;

  private RepoLayout(Path root) {
    this.root = root;
  }

  public static RepoLayout find() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.exists(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("proto"))) {
        return new RepoLayout(dir);
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "run this from inside the ModelFleet repository (no mvnw found above "
            + Path.of("").toAbsolutePath()
            + ")");
  }

  public Path root() {
    return root;
  }

  public Path serverJar() {
    return built(root.resolve("server/target/quarkus-app/quarkus-run.jar"));
  }

  public Path agentJar() {
    return built(root.resolve("agent/target/modelfleet-agent.jar"));
  }

  /** The command line's runnable jar (cli/), which its end-to-end tests run as a person would. */
  public Path cliJar() {
    return built(root.resolve("cli/target/modelfleet-cli.jar"));
  }

  /** The third-party models beside the repository, when this machine has them. */
  public Optional<Path> sharedModel(String fileName) {
    Path model = root.resolveSibling("shared").resolve("models").resolve(fileName);
    return Files.isRegularFile(model) ? Optional.of(model) : Optional.empty();
  }

  private static Path built(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException(
          path + " is missing: build first with ./mvnw -DskipTests package");
    }
    return path;
  }
}
