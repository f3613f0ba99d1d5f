package dev.modelfleet.agent.selfupdate;

import java.util.Comparator;

/**
 * Orders agent versions as Maven does in the main: numeric parts by value ({@code 0.10 > 0.9}), a
 * release above its qualified builds ({@code 1.0 > 1.0-SNAPSHOT > 0.9}). What downgrade protection
 * compares.
 */
public final class AgentVersions {

  public static final Comparator<String> ORDER = AgentVersions::compare;

  private AgentVersions() {}

  public static int compare(String a, String b) {
    String[] x = a.split("[.+-]");
    String[] y = b.split("[.+-]");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      String p = i < x.length ? x[i] : null;
      String q = i < y.length ? y[i] : null;
      int c = comparePart(p, q);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** A missing part is 0 against a number and above a qualifier (1.0 beats 1.0-rc1). */
  private static int comparePart(String p, String q) {
    boolean pNum = p != null && isNumber(p);
    boolean qNum = q != null && isNumber(q);
    if (p == null) {
      return qNum ? compareNumbers("0", q) : 1;
    }
    if (q == null) {
      return pNum ? compareNumbers(p, "0") : -1;
    }
    if (pNum && qNum) {
      return compareNumbers(p, q);
    }
    if (pNum != qNum) {
      return pNum ? 1 : -1;
    }
    return p.compareToIgnoreCase(q);
  }

  private static boolean isNumber(String s) {
    return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
  }

  private static int compareNumbers(String p, String q) {
    String a = p.replaceFirst("^0+(?=.)", "");
    String b = q.replaceFirst("^0+(?=.)", "");
    return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
  }
}
