package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent's footprint figures (docs/benchmarks.md) hold for what users run only if the systemd
 * unit, the container image and the harness that measures them start the JVM alike: the same flags
 * and glibc's malloc arenas capped the same way.
 */
class AgentLaunchFlagsTest {

  private final RepoLayout repo = RepoLayout.find();

  @Test
  void theUnitTheImageAndTheBenchmarksRunTheAgentWithTheSameJvmFlags() throws IOException {
    assumeTrue(
        System.getProperty("modelfleet.agent.jvmFlags") == null,
        "the harness's flags are overridden for this run (-Dmodelfleet.agent.jvmFlags)");
    List<String> measured = AgentProcess.JVM_FLAGS;
    assertEquals(measured, unitFlags(), "deploy/agent/modelfleet-agent.service, ExecStart");
    assertEquals(measured, imageFlags(), "deploy/images/agent.Containerfile, ENTRYPOINT");
  }

  @Test
  void everyLaunchCapsGlibcMallocArenas() throws IOException {
    assertEquals("2", AgentProcess.ENVIRONMENT.get("MALLOC_ARENA_MAX"));
    assertTrue(
        read("deploy/agent/modelfleet-agent.service")
            .lines()
            .anyMatch(l -> l.strip().equals("Environment=MALLOC_ARENA_MAX=2")),
        "the systemd unit sets MALLOC_ARENA_MAX=2");
    assertTrue(
        read("deploy/images/agent.Containerfile")
            .lines()
            .anyMatch(l -> l.strip().equals("ENV MALLOC_ARENA_MAX=2")),
        "the image sets MALLOC_ARENA_MAX=2");
  }

  /** The options between {@code java} and {@code -jar} in the unit's ExecStart. */
  private List<String> unitFlags() throws IOException {
    String unit = read("deploy/agent/modelfleet-agent.service").replace("\\\n", " ");
    String exec =
        unit.lines()
            .filter(l -> l.startsWith("ExecStart="))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ExecStart in the unit"));
    List<String> words = List.of(exec.trim().split("\\s+"));
    return between(words, "/usr/bin/java");
  }

  /** The options between {@code "java"} and {@code "-jar"} in the image's ENTRYPOINT. */
  private List<String> imageFlags() throws IOException {
    String file = read("deploy/images/agent.Containerfile").replace("\\\n", " ");
    String entry =
        file.lines()
            .filter(l -> l.startsWith("ENTRYPOINT"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ENTRYPOINT in the Containerfile"));
    List<String> words = new ArrayList<>();
    Matcher quoted = Pattern.compile("\"([^\"]*)\"").matcher(entry);
    while (quoted.find()) {
      words.add(quoted.group(1));
    }
    return between(words, "java");
  }

  private static List<String> between(List<String> words, String java) {
    int start = words.indexOf(java);
    int end = words.indexOf("-jar");
    assertTrue(start >= 0 && end > start, "java ... -jar in " + words);
    return words.subList(start + 1, end);
  }

  private String read(String path) throws IOException {
    return Files.readString(repo.root().resolve(path));
  }
}
