package dev.modelfleet.e2e.bench;

import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * The physical download baseline of this machine: a static HTTP server on loopback and curl writing
 * to disk (../shared/bench/loopback-baseline.sh), run in the same benchmark run so the project's
 * own figure can be quoted as a ratio.
 */
final class LoopbackBaseline {

  private LoopbackBaseline() {}

  /** Median MB/s of the baseline for a file of {@code sizeMb}, or empty where it cannot run. */
  static OptionalDouble medianMbPerSecond(RepoLayout repo, int sizeMb, int runs)
      throws IOException, InterruptedException {
    Path script = repo.root().resolveSibling("shared").resolve("bench/loopback-baseline.sh");
    if (!Files.isRegularFile(script)) {
      return OptionalDouble.empty();
    }
    Process process =
        new ProcessBuilder(
                "bash", script.toString(), Integer.toString(sizeMb), Integer.toString(runs))
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor();
    for (String line : output.split("\n")) {
      if (line.startsWith("median MB/s:")) {
        return OptionalDouble.of(Double.parseDouble(line.substring(12).trim()));
      }
    }
    return OptionalDouble.empty();
  }

  /**
   * Median seconds of the fleet baseline: {@code files} downloads of one {@code sizeMb} file,
   * {@code parallel} at a time, each to {@code sink} (disk, null or sha256); empty where the script
   * is absent.
   */
  static OptionalDouble fleetSeconds(
      RepoLayout repo, int files, int sizeMb, int parallel, String sink, int runs)
      throws IOException, InterruptedException {
    Path script = repo.root().resolveSibling("shared").resolve("bench/loopback-baseline.sh");
    if (!Files.isRegularFile(script)) {
      return OptionalDouble.empty();
    }
    Process process =
        new ProcessBuilder(
                "bash",
                script.toString(),
                "--fleet",
                Integer.toString(files),
                Integer.toString(sizeMb),
                Integer.toString(parallel),
                sink,
                Integer.toString(runs))
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor();
    for (String line : output.split("\n")) {
      if (line.startsWith("median seconds:")) {
        return OptionalDouble.of(Double.parseDouble(line.substring(15).trim()));
      }
    }
    return OptionalDouble.empty();
  }
}
