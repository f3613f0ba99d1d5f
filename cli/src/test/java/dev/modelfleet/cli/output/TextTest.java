package dev.modelfleet.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextTest {

  @Test
  void fittingColouredTextCountsOnlyWhatShowsAndKeepsSequencesWhole() {
    String legend = "legend: \033[32m#\033[0m active \033[31mx\033[0m failed";
    assertEquals(legend, Text.fitVisible(legend, 40));
    assertEquals("legend: \033[32m#\033[0m act…\033[0m", Text.fitVisible(legend, 14));
    assertEquals("abc", Text.fitVisible("abc", 3));
    assertEquals("ab…", Text.fitVisible("abcd", 3));
  }

  @Test
  void controlCharactersAreShownAsEscapes() {
    assertEquals("a\\u001b[2Jb\\u0007", Text.printable("a\033[2Jb\007"));
    assertEquals("héllo ✓", Text.printable("héllo ✓"));
  }

  @Test
  void sizesAndDurationsReadWell() {
    assertEquals("512 B", Text.bytes(512));
    assertEquals("1.5 KiB", Text.bytes(1536));
    assertEquals("62.6 MiB", Text.bytes(65_600_000));
    assertEquals("7s", Text.duration(java.time.Duration.ofSeconds(7)));
    assertEquals("2m05s", Text.duration(java.time.Duration.ofSeconds(125)));
    assertEquals("1h02m", Text.duration(java.time.Duration.ofSeconds(3725)));
  }
}
