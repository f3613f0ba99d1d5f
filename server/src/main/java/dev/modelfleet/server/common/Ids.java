package dev.modelfleet.server.common;

import java.util.UUID;

public final class Ids {

  private Ids() {}

  /** A malformed id names nothing, so it is answered like an unknown one. */
  public static UUID parse(String what, String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw ApiError.NOT_FOUND.exception("No " + what + " with id '" + id + "'.");
    }
  }
}
