package dev.modelfleet.server.agentapi;

import dev.modelfleet.server.common.ApiError;

/** The one Range form agents send: {@code bytes=<offset>-}, to resume from an offset. */
final class ByteRange {
  private ByteRange() {}

  /** The offset asked for, before the size is known; {@link #startOf} checks it against it. */
  static long offsetOf(String header) {
    return startOf(header, Long.MAX_VALUE);
  }

  static long startOf(String header, long size) {
    String value = header.trim();
    if (!value.startsWith("bytes=") || !value.endsWith("-")) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "only 'Range: bytes=<offset>-' is supported, got '" + header + "'");
    }
    long offset;
    try {
      offset = Long.parseLong(value.substring(6, value.length() - 1));
    } catch (NumberFormatException e) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception("Range offset is not a number: " + header);
    }
    if (offset < 0 || offset >= size) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "offset " + offset + " is outside the artifact (0.." + (size - 1) + "); restart from 0");
    }
    return offset;
  }
}
