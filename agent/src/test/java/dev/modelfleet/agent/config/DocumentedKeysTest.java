package dev.modelfleet.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent's configuration keys in the docs and in the code agree: the table of docs/agent.md
 * ("Configuration keys") lists exactly the keys {@link AgentConfig} accepts, with the defaults it
 * uses, and the example file operators install (deploy/agent/agent.properties) sets no key the
 * agent would refuse.
 */
class DocumentedKeysTest {

  /** Tests run in agent/; the docs are beside it. */
  static final Path ROOT = Path.of("..");

  private static final Pattern ROW = Pattern.compile("\\| `([a-z0-9-]+)` \\|([^|]*)\\|.*");

  /** A default the table states (a code span first in its cell), read from a config of nothing. */
  private static final Map<String, Function<AgentConfig, Object>> DEFAULTS =
      Map.ofEntries(
          Map.entry("metered", AgentConfig::metered),
          Map.entry("keep-old-versions", AgentConfig::keepOldVersions),
          Map.entry("clock-offset-seconds", AgentConfig::clockOffsetSeconds),
          Map.entry("http-port", AgentConfig::httpPort),
          Map.entry("state-dir", AgentConfig::stateDir),
          Map.entry("ort-threads", AgentConfig::ortThreads),
          Map.entry("certificate-renewal-percent", AgentConfig::certificateRenewalPercent),
          Map.entry("simulate-provider-fallback", AgentConfig::simulateProviderFallback),
          Map.entry("download-min-bytes-per-second", c -> c.downloadFloor().minBytesPerSecond()),
          Map.entry("download-rate-window-seconds", c -> c.downloadFloor().windowMillis() / 1000),
          Map.entry("grpc-port", AgentConfig::grpcPort),
          Map.entry("bind-address", c -> c.bindAddress().getHostAddress()));

  @Test
  void theDocsListExactlyTheKeysTheAgentAccepts() throws IOException {
    Set<String> documented = keysTable().keySet();
    Set<String> undocumented = new TreeSet<>(AgentConfig.KEYS);
    undocumented.removeAll(documented);
    Set<String> unknown = new TreeSet<>(documented);
    unknown.removeAll(AgentConfig.KEYS);
    assertTrue(
        undocumented.isEmpty() && unknown.isEmpty(),
        "docs/agent.md's configuration keys and AgentConfig differ; accepted but not documented: "
            + undocumented
            + ", documented but refused: "
            + unknown);
  }

  @Test
  void theDocsStateTheDefaultsTheAgentUses() throws Exception {
    AgentConfig defaults = AgentConfig.load(null, Map.of());
    List<String> wrong = new ArrayList<>();
    keysTable()
        .forEach(
            (key, cell) -> {
              Matcher code = Pattern.compile("\\s*`([^`]+)`.*").matcher(cell);
              if (DEFAULTS.containsKey(key) && code.matches()) {
                String actual = String.valueOf(DEFAULTS.get(key).apply(defaults));
                if (!actual.equals(code.group(1))) {
                  wrong.add(key + ": docs `" + code.group(1) + "`, agent `" + actual + "`");
                }
              }
            });
    assertTrue(wrong.isEmpty(), "defaults docs/agent.md gets wrong: " + wrong);
  }

  /**
   * The example file operators install sets only keys the agent accepts (it refuses to start on any
   * other), and where it sets a key that has a default it repeats the default: a device installed
   * from it behaves as the docs say (its inference API on the documented port, say).
   */
  @Test
  void theExampleConfigFileSetsOnlyKnownKeysAndRepeatsTheDefaults() throws Exception {
    Path example = ROOT.resolve("deploy/agent/agent.properties");
    AgentConfig defaults = AgentConfig.load(null, Map.of());
    List<String> wrong = new ArrayList<>();
    Pattern setting = Pattern.compile("#?\\s*([a-z0-9-]+)=(.*)"); // commented-out examples too
    List<String> lines = Files.readAllLines(example, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      Matcher line = setting.matcher(lines.get(i).trim());
      String where = "deploy/agent/agent.properties:" + (i + 1) + ": ";
      if (!line.matches()) {
        continue;
      }
      String key = line.group(1);
      if (!AgentConfig.KEYS.contains(key)) {
        wrong.add(where + key + " is no key the agent accepts");
      } else if (DEFAULTS.containsKey(key)) {
        String value = String.valueOf(DEFAULTS.get(key).apply(defaults));
        if (!value.equals(line.group(2).trim())) {
          wrong.add(where + key + "=" + line.group(2).trim() + ", the agent's default is " + value);
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void theCheckSeesTheTable() throws IOException {
    // guards the parsing above: were it to find nothing, the other tests would say little
    assertEquals("`8700`", keysTable().get("http-port"));
  }

  /** The "Configuration keys" table of docs/agent.md: each key with its default cell. */
  static Map<String, String> keysTable() throws IOException {
    Map<String, String> keys = new TreeMap<>();
    boolean inSection = false;
    for (String line : Files.readAllLines(ROOT.resolve("docs/agent.md"), StandardCharsets.UTF_8)) {
      if (line.startsWith("## ")) {
        inSection = line.equals("## Configuration keys");
        continue;
      }
      Matcher row = ROW.matcher(line);
      if (inSection && row.matches()) {
        keys.put(row.group(1), row.group(2).trim());
      }
    }
    return keys;
  }
}
