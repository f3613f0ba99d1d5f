package dev.modelfleet.server.downloadpolicy;

import dev.modelfleet.protocol.agent.v1.DownloadWindow;
import dev.modelfleet.server.common.ApiError;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Download windows as operators write them ("01:00-05:00") and as agents read them (minutes). */
final class PolicyWindows {

  private static final Pattern WINDOW =
      Pattern.compile("([01]\\d|2[0-3]):([0-5]\\d)-([01]\\d|2[0-3]|24):([0-5]\\d)");

  static final int MAX_WINDOWS = 24;

  private PolicyWindows() {}

  /** Validates and normalizes; throws a 400 naming the bad window. */
  static String join(List<String> windows) {
    if (windows == null || windows.isEmpty()) {
      return "";
    }
    if (windows.size() > MAX_WINDOWS) {
      throw ApiError.INVALID_REQUEST.exception(
          "'windows' holds " + windows.size() + " windows; at most " + MAX_WINDOWS + ".");
    }
    List<String> normalized = new ArrayList<>();
    for (String w : windows) {
      int[] minutes = parse(w);
      normalized.add(format(minutes[0]) + "-" + format(minutes[1]));
    }
    return String.join(",", normalized);
  }

  static List<String> split(String stored) {
    return stored == null || stored.isEmpty() ? List.of() : List.of(stored.split(","));
  }

  static List<DownloadWindow> toProto(String stored) {
    List<DownloadWindow> out = new ArrayList<>();
    for (String w : split(stored)) {
      int[] minutes = parse(w);
      out.add(
          DownloadWindow.newBuilder().setStartMinute(minutes[0]).setEndMinute(minutes[1]).build());
    }
    return out;
  }

  private static int[] parse(String window) {
    Matcher m = window == null ? null : WINDOW.matcher(window.trim());
    if (m == null || !m.matches()) {
      throw ApiError.INVALID_REQUEST.exception(
          "download window '"
              + window
              + "' is not HH:MM-HH:MM (e.g. 01:00-05:00; 22:00-04:00 crosses midnight).");
    }
    int start = Integer.parseInt(m.group(1)) * 60 + Integer.parseInt(m.group(2));
    int end = Integer.parseInt(m.group(3)) * 60 + Integer.parseInt(m.group(4));
    if (end > 24 * 60) {
      throw ApiError.INVALID_REQUEST.exception(
          "download window '" + window + "' ends after 24:00.");
    }
    if (start == end % (24 * 60) && end != 24 * 60) {
      throw ApiError.INVALID_REQUEST.exception(
          "download window '" + window + "' is empty: its start and end are the same time.");
    }
    return new int[] {start, end % (24 * 60)};
  }

  private static String format(int minute) {
    return String.format(java.util.Locale.ROOT, "%02d:%02d", minute / 60, minute % 60);
  }
}
