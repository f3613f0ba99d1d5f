package dev.modelfleet.agent.selfupdate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AgentVersionsTest {

  @Test
  void versionsAreOrderedAsReleasesAre() {
    List<String> ascending =
        List.of(
            "0.0.1", "0.1.0-SNAPSHOT", "0.1.0", "0.1.1", "0.9", "0.10", "1.0-rc1", "1.0", "9.5.2");
    for (int i = 0; i < ascending.size(); i++) {
      for (int j = 0; j < ascending.size(); j++) {
        assertEquals(
            Integer.signum(Integer.compare(i, j)),
            Integer.signum(AgentVersions.compare(ascending.get(i), ascending.get(j))),
            ascending.get(i) + " vs " + ascending.get(j));
      }
    }
    assertEquals(0, AgentVersions.compare("1.0", "1.0.0"));
  }

  @Test
  void onlyPlainVersionsNameSlots() {
    assertTrue(ReleaseSlots.safeVersion("9.123.0"));
    assertTrue(ReleaseSlots.safeVersion("1.0.0-rc.1+build5"));
    assertFalse(ReleaseSlots.safeVersion("../x"));
    assertFalse(ReleaseSlots.safeVersion(".hidden"));
    assertFalse(ReleaseSlots.safeVersion("a/b"));
    assertFalse(ReleaseSlots.safeVersion(""));
  }
}
