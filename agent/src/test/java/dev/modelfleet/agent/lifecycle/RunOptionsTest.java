package dev.modelfleet.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.config.AgentConfig;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The flags {@code modelfleet-agent run} accepts are exactly the settings the agent knows, and its
 * help names each: a key added to {@link AgentConfig} but not to the flags once made an e2e run
 * fail on "unknown option" while config files and environment variables took it.
 */
class RunOptionsTest {

  @Test
  void every_setting_is_a_flag_of_run_and_every_flag_a_setting() {
    Set<String> settings =
        AgentConfig.KEYS.stream().map(k -> "--" + k).collect(Collectors.toCollection(TreeSet::new));
    settings.add("--config");

    assertEquals(settings, new TreeSet<>(AgentMain.RUN_OPTIONS));
  }

  @Test
  void the_help_describes_every_flag_of_run() {
    for (String option : AgentMain.RUN_OPTIONS) {
      assertTrue(
          Pattern.compile("(?m)^\\s+" + Pattern.quote(option) + "\\s")
              .matcher(AgentMain.USAGE)
              .find(),
          option + " is accepted but missing from --help");
    }
  }
}
