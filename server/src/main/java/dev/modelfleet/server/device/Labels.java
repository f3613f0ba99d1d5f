package dev.modelfleet.server.device;

import dev.modelfleet.server.common.ApiError;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Label keys and values, in the syntax the label selector can express. */
public final class Labels {

  static final Pattern KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?");
  static final Pattern VALUE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?");

  private Labels() {}

  /** A sorted copy, or a 400 naming the first bad key or value. */
  public static Map<String, String> validate(Map<String, String> labels) {
    if (labels == null) {
      return new TreeMap<>();
    }
    for (var entry : labels.entrySet()) {
      if (!KEY.matcher(entry.getKey()).matches()) {
        throw ApiError.INVALID_LABELS.exception(
            "Label key '"
                + entry.getKey()
                + "' is not valid: use up to 63 characters of"
                + " A-Z, a-z, 0-9, '.', '_', '/', '-', starting and ending with a letter or digit.");
      }
      String value = entry.getValue();
      if (value == null || !VALUE.matcher(value).matches()) {
        throw ApiError.INVALID_LABELS.exception(
            "Value of label '"
                + entry.getKey()
                + "' is not valid: use up to 63 characters of"
                + " A-Z, a-z, 0-9, '.', '_', '-', starting and ending with a letter or digit.");
      }
    }
    return new TreeMap<>(labels);
  }
}
