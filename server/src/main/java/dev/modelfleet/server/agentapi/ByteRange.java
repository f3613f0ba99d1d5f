package dev.modelfleet.server.agentapi;

import dev.modelfleet.server.common.ApiError;

/**
 * The Range forms agents send: {@code bytes=<from>-} to resume from an offset, and {@code
 * bytes=<from>-<last>} (protocol revision 2) to stop where a download budget ends. {@code end} is
 * exclusive; a last byte past the file is cut to the file, as RFC 9110 asks.
 */
record ByteRange(long from, long end) {

  long length() {
    return end - from;
  }

  /** "bytes from-last/size", for Content-Range. */
  String contentRange(long size) {
    return "bytes " + from + "-" + (end - 1) + "/" + size;
  }

  /** The offset asked for, before the size is known; {@link #of} checks it against it. */
  static long offsetOf(String header) {
    return of(header, Long.MAX_VALUE).from();
  }

  /** The range of a file of {@code size} bytes; {@code header} null: the whole file. */
  static ByteRange of(String header, long size) {
    if (header == null) {
      return new ByteRange(0, size);
    }
    String value = header.trim();
    int dash = value.indexOf('-');
    if (!value.startsWith("bytes=") || dash < 0 || value.indexOf(',') >= 0) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "only 'Range: bytes=<offset>-' or 'bytes=<offset>-<last>' is supported, got '"
              + bounded(header)
              + "'");
    }
    long from;
    long last;
    try {
      from = Long.parseLong(value.substring(6, dash));
      String end = value.substring(dash + 1);
      last = end.isEmpty() ? Long.MAX_VALUE - 1 : Long.parseLong(end);
    } catch (NumberFormatException e) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "Range offsets are not numbers: " + bounded(header));
    }
    if (from < 0 || from >= size) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "offset " + from + " is outside the artifact (0.." + (size - 1) + "); restart from 0");
    }
    if (last < from) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "the range " + bounded(value) + " ends before it starts; ask for bytes=<from>-<last>");
    }
    return new ByteRange(from, Math.min(size, last + 1));
  }

  private static String bounded(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + "...";
  }
}
