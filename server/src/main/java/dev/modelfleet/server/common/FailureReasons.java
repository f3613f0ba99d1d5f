package dev.modelfleet.server.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Failure reasons as operators read them: whole (every line ONNX Runtime wrote, since the node it
 * names usually comes last), bounded only so a pathological message cannot fill a row, and when
 * bounded cut after a sentence or a word, never inside one, with the node the message names kept.
 * Derivation reasons and the upload check's "cannot load" both use it.
 */
public final class FailureReasons {

  /** Far above any reason seen from ONNX Runtime (~600 characters), far below a row's worth. */
  public static final int LIMIT = 4000;

  private static final Pattern NODE = Pattern.compile("[Nn]ode[ :]*\\(?'?([^)'\\s]+)");

  private FailureReasons() {}

  public static String of(Throwable e) {
    return bounded(String.valueOf(e.getMessage()).strip(), LIMIT);
  }

  public static String bounded(String text, int limit) {
    if (text == null || text.length() <= limit) {
      return text;
    }
    String node = lastNode(text);
    String suffix = node == null ? " …" : " … (node " + node + ")";
    int room = Math.max(1, limit - suffix.length());
    int cut = -1;
    for (int i = room - 1; i >= room / 2; i--) {
      char c = text.charAt(i);
      if ((c == '.' || c == ';' || c == '!' || c == '?')
          && i + 1 < text.length()
          && Character.isWhitespace(text.charAt(i + 1))) {
        cut = i + 1;
        break;
      }
    }
    if (cut < 0) {
      for (int i = room; i >= room / 2; i--) {
        if (Character.isWhitespace(text.charAt(i))) {
          cut = i;
          break;
        }
      }
    }
    if (cut < 0) {
      cut = room; // one token longer than half the limit: nothing better to cut at
    }
    String head = text.substring(0, cut).stripTrailing();
    if (node != null && head.contains(node)) {
      suffix = " …";
    }
    return head + suffix;
  }

  private static String lastNode(String text) {
    Matcher m = NODE.matcher(text);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    return last;
  }
}
