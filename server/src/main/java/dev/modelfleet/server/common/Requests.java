package dev.modelfleet.server.common;

/** Checks shared by the REST adapters on what a request must carry. */
public final class Requests {

  private Requests() {}

  public static <T> T requireBody(T body) {
    if (body == null) {
      throw ApiError.INVALID_REQUEST.exception("This request needs a JSON body.");
    }
    return body;
  }

  public static String requireParam(String name, String value) {
    if (value == null || value.isBlank()) {
      throw ApiError.INVALID_REQUEST.exception("Query parameter '" + name + "' is required.");
    }
    return value;
  }
}
