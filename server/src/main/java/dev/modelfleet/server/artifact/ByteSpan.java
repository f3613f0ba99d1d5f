package dev.modelfleet.server.artifact;

import dev.modelfleet.server.common.ApiError;

/**
 * The bytes of an artifact a request asks for: {@code Range: bytes=<from>-} (the rest, to resume a
 * download) or {@code bytes=<from>-<last>} (an agent under a download budget, an admin tool), the
 * last byte cut to the file's end as RFC 9110 asks; no header, the whole file. One parser for the
 * admin download and the agents' HTTP and HTTPS paths.
 */
public record ByteSpan(long from, long length) {

  public boolean whole(long size) {
    return from == 0 && length == size;
  }

  /** "bytes from-last/size", for Content-Range. */
  public String contentRange(long size) {
    return "bytes " + from + "-" + (from + length - 1) + "/" + size;
  }

  /**
   * The offset asked for, before the size is known (a store opened from there); {@link #of} checks
   * it.
   */
  public static long offsetOf(String header) {
    return of(header, Long.MAX_VALUE).from();
  }

  /** The span of a file of {@code size} bytes; 416 offset-out-of-range for anything else. */
  public static ByteSpan of(String header, long size) {
    if (header == null || header.isBlank()) {
      return new ByteSpan(0, size);
    }
    String value = header.strip();
    int dash = value.indexOf('-');
    if (!value.startsWith("bytes=") || dash < 0 || value.indexOf(',') >= 0) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "only 'Range: bytes=<from>-' or 'bytes=<from>-<to>' is supported, got '"
              + bounded(header)
              + "'");
    }
    long from;
    long to;
    try {
      from = Long.parseLong(value.substring(6, dash));
      String end = value.substring(dash + 1);
      to = end.isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(end));
    } catch (NumberFormatException e) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "the range is not two byte offsets: '" + bounded(header) + "'");
    }
    if (from < 0 || from >= size || to < from) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "range "
              + bounded(value)
              + " is outside the artifact (bytes 0.."
              + (size - 1)
              + "); ask again from 0");
    }
    return new ByteSpan(from, to - from + 1);
  }

  private static String bounded(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + "...";
  }
}
