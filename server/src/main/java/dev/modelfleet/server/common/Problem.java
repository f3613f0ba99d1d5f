package dev.modelfleet.server.common;

import jakarta.ws.rs.core.Response;

/** An RFC 9457 problem document, extended with the stable {@code code} of {@link ApiError}. */
public record Problem(String type, String title, int status, String detail, String code) {

  public static final String MEDIA_TYPE = "application/problem+json";

  public static Problem of(ApiError error, String detail) {
    return new Problem(
        "urn:modelfleet:problem:" + error.code(),
        error.title(),
        error.httpStatus(),
        detail,
        error.code());
  }

  public static Response response(ApiError error, String detail) {
    return Response.status(error.httpStatus()).type(MEDIA_TYPE).entity(of(error, detail)).build();
  }
}
