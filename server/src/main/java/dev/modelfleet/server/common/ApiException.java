package dev.modelfleet.server.common;

/** A refusal with a reason the caller can act on; services throw it, adapters translate it. */
public class ApiException extends RuntimeException {

  private final ApiError error;

  public ApiException(ApiError error, String detail) {
    super(detail, null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }

  public String detail() {
    return getMessage();
  }
}
