package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code modelfleet} launcher an operator runs: its first command records a class-data archive
 * in the user's cache directory and later ones start from it, never from a half-written or broken
 * one, with the same answers either way.
 */
class CliLauncherTest {

  private static final Path LAUNCHER = RepoLayout.find().root().resolve("cli/modelfleet");

  @TempDir Path cache;

  @Test
  void theFirstCommandRecordsAnArchiveTheNextOnesUseWithTheSameOutput() throws IOException {
    Command first = help(Map.of());
    assertEquals(0, first.exitCode(), first.output());
    List<Path> archives = archives();
    assertEquals(1, archives.size(), "one archive for this jar and runtime: " + archives);
    assertTrue(Files.size(archives.get(0)) > 1_000_000, "the archive holds the classes");

    Command second = help(Map.of());
    assertEquals(0, second.exitCode(), second.output());
    assertEquals(first.output(), second.output(), "nothing about the archive is printed");
    assertEquals(archives, archives(), "the archive is reused, not made again");
  }

  @Test
  void aBrokenArchiveCostsOnlyTheTimeItWouldHaveSaved() throws IOException {
    help(Map.of());
    Path archive = archives().get(0);
    archive.toFile().setWritable(true);
    Files.writeString(archive, "not an archive");

    Command command = help(Map.of());

    assertEquals(0, command.exitCode(), command.output());
    assertTrue(command.output().contains("Usage: modelfleet"), command.output());
  }

  @Test
  void offMeansNoArchive() throws IOException {
    Command command = help(Map.of("MODELFLEET_CLI_CDS", "off"));

    assertEquals(0, command.exitCode(), command.output());
    assertEquals(List.of(), archives());
  }

  private Command help(Map<String, String> env) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("XDG_CACHE_HOME", cache.toString());
    return Command.run(Duration.ofSeconds(60), all, null, List.of(LAUNCHER.toString(), "--help"));
  }

  private List<Path> archives() throws IOException {
    Path dir = cache.resolve("modelfleet");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }
}
