package dev.modelfleet.cli.http;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A path and query on the server, with every segment and value encoded: an id or name the user
 * typed can never reach another path ({@code ../}) or add a parameter ({@code &}).
 */
public final class ApiPath {

  private final String path;
  private final StringBuilder query = new StringBuilder();

  private ApiPath(String path) {
    this.path = path;
  }

  /** {@code /api/v1/} followed by the segments, each encoded. */
  public static ApiPath api(String... segments) {
    StringBuilder path = new StringBuilder("/api/v1");
    for (String segment : segments) {
      path.append('/').append(segment(Objects.requireNonNull(segment)));
    }
    return new ApiPath(path.toString());
  }

  /**
   * A path and query the server gave (a {@code next} link), used as is; it must be a path on the
   * same server, which {@link ApiClient} checks.
   */
  static ApiPath given(String pathAndQuery) {
    return new ApiPath(pathAndQuery);
  }

  /** An open path outside the API ({@code /q/health}). */
  public static ApiPath open(String path) {
    return new ApiPath(path);
  }

  /** Adds {@code name=value}, encoded; a null value adds nothing. */
  public ApiPath query(String name, Object value) {
    if (value != null) {
      query
          .append(query.length() == 0 && !path.contains("?") ? '?' : '&')
          .append(URLEncoder.encode(name, StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
    }
    return this;
  }

  /**
   * One path segment, percent-encoded (RFC 3986 unreserved characters stay); a segment of dots
   * alone would walk up the path, so its dots are encoded too.
   */
  static String segment(String value) {
    StringBuilder out = new StringBuilder();
    boolean onlyDots = !value.isEmpty() && value.chars().allMatch(c -> c == '.');
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      boolean unreserved =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '~'
              || (c == '.' && !onlyDots);
      if (unreserved) {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return path + query;
  }
}
