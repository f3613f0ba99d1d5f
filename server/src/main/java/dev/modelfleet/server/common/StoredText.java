package dev.modelfleet.server.common;

import java.text.BreakIterator;
import java.util.Locale;

/**
 * Strings from devices on their way into PostgreSQL. Protobuf guarantees valid UTF-8, but NUL is
 * valid UTF-8 and PostgreSQL refuses it in text and jsonb; in a batched write one such string would
 * fail every device's heartbeat in the batch, round after round. And a device, approved or still
 * pending, chooses their length: what is stored is cut to a bound.
 */
public final class StoredText {

  /** Longest stored reason or other free text from a device, in characters (code points). */
  public static final int REASON_LENGTH = 1_000;

  /** Longest stored name a device reports (model, version, reason code, provider). */
  public static final int NAME_LENGTH = 200;

  private static final String ELLIPSIS = "…";

  private StoredText() {}

  public static String clean(String text) {
    return text == null || text.indexOf('\0') < 0 ? text : text.replace("\0", "");
  }

  /**
   * {@code text} without NULs, and when longer than {@code max} characters, cut to at most that
   * many including a closing ellipsis: at the last word boundary that keeps at least half of it,
   * else at the last boundary between characters, never inside one (a surrogate pair or a letter
   * with its combining marks).
   */
  public static String bounded(String text, int max) {
    String clean = clean(text);
    if (clean == null || clean.codePointCount(0, clean.length()) <= max) {
      return clean;
    }
    int limit = clean.offsetByCodePoints(0, max - 1); // room for the ellipsis
    BreakIterator words = BreakIterator.getWordInstance(Locale.ROOT);
    words.setText(clean);
    int cut = words.preceding(limit + 1);
    if (cut < limit / 2) {
      BreakIterator characters = BreakIterator.getCharacterInstance(Locale.ROOT);
      characters.setText(clean);
      cut = characters.preceding(limit + 1);
    }
    return clean.substring(0, cut).stripTrailing() + ELLIPSIS;
  }
}
