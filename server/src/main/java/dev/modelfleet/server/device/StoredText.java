package dev.modelfleet.server.device;

/**
 * Strings from devices on their way into PostgreSQL. Protobuf guarantees valid UTF-8, but NUL
 * is valid UTF-8 and PostgreSQL refuses it in text and jsonb; in a batched write one such
 * string would fail every device's heartbeat in the batch, round after round.
 */
final class StoredText {

  private StoredText() {}

  static String clean(String text) {
    return text == null || text.indexOf('\0') < 0 ? text : text.replace("\0", "");
  }
}
