package dev.modelfleet.server.common;

import java.util.regex.Pattern;

/** Names of models, versions, precisions and execution providers: safe in URLs, paths and logs. */
public final class Names {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  private Names() {}

  public static String require(String what, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw ApiError.INVALID_NAME.exception(
          what
              + " '"
              + (value == null ? "" : value)
              + "' is not valid: use 1 to 63 characters"
              + " of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
              + " (pattern [a-z0-9][a-z0-9._-]{0,62}).");
    }
    return value;
  }
}
