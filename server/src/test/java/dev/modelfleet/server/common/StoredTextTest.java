package dev.modelfleet.server.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class StoredTextTest {

  @Test
  void shortTextIsKeptWhole() {
    assertEquals("load failed", StoredText.bounded("load failed", 11));
    assertEquals("nul gone", StoredText.bounded("nul\0 gone", 20));
    assertNull(StoredText.bounded(null, 5));
  }

  @Test
  void longTextIsCutAtTheLastWordThatFitsWithAnEllipsis() {
    assertEquals("the model failed to…", StoredText.bounded("the model failed to load", 20));
    assertEquals("the model…", StoredText.bounded("the model failed to load", 16));
  }

  @Test
  void aLongWordIsCutBetweenCharacters() {
    assertEquals("abcdefghi…", StoredText.bounded("abcdefghijklmnop", 10));
    assertEquals("🙂🙂🙂…", StoredText.bounded("🙂🙂🙂🙂🙂🙂", 4), "a surrogate pair stays whole");
    assertEquals(
        "e\u0301…",
        StoredText.bounded("e\u0301e\u0301e\u0301e\u0301", 4),
        "a letter keeps its combining accent");
  }
}
