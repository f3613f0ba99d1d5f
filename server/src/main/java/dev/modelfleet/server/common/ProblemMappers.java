package dev.modelfleet.server.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns every failure of the admin API into a problem+json document. Details never carry class
 * names or stack traces; unexpected failures are logged here and reported as a bare 500.
 */
public class ProblemMappers {

  private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

  @ServerExceptionMapper
  public Response apiException(ApiException e) {
    return Problem.response(e.error(), e.detail());
  }

  @ServerExceptionMapper
  public Response mismatchedInput(MismatchedInputException e) {
    String field =
        e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFieldName();
    String detail =
        field == null
            ? "The request body does not have the expected JSON structure."
            : "Field '"
                + field
                + "' has the wrong type"
                + (e instanceof InvalidFormatException ife ? " (got " + ife.getValue() + ")" : "")
                + ".";
    return Problem.response(ApiError.MALFORMED_JSON, detail);
  }

  @ServerExceptionMapper
  public Response malformedJson(JsonProcessingException e) {
    String where =
        e.getLocation() == null
            ? ""
            : " at line "
                + e.getLocation().getLineNr()
                + ", column "
                + e.getLocation().getColumnNr();
    return Problem.response(
        ApiError.MALFORMED_JSON, "The request body is not valid JSON" + where + ".");
  }

  @ServerExceptionMapper
  public Response unsupportedMediaType(NotSupportedException e) {
    return Problem.response(
        ApiError.UNSUPPORTED_MEDIA_TYPE,
        "This endpoint does not accept that Content-Type; see /q/openapi for what it takes.");
  }

  @ServerExceptionMapper
  public Response notFound(NotFoundException e) {
    return Problem.response(ApiError.NOT_FOUND, "No such resource.");
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e) {
    return Problem.response(
        ApiError.METHOD_NOT_ALLOWED,
        "Allowed methods: " + String.join(", ", e.getResponse().getAllowedMethods()) + ".");
  }

  @ServerExceptionMapper
  public Response notAcceptable(NotAcceptableException e) {
    return Problem.response(ApiError.NOT_ACCEPTABLE, "This endpoint answers with JSON only.");
  }

  @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
  public Response otherWebApplication(WebApplicationException e) {
    // the JSON reader reports unreadable bodies as a 400 wrapping the parser's exception
    if (e.getCause() instanceof MismatchedInputException cause) {
      return mismatchedInput(cause);
    }
    if (e.getCause() instanceof JsonProcessingException cause) {
      return malformedJson(cause);
    }
    int status = e.getResponse().getStatus();
    if (status >= 500) {
      LOG.error("request failed", e);
      return Problem.response(ApiError.INTERNAL_ERROR, "The server failed; see its log.");
    }
    return Problem.response(
        ApiError.INVALID_REQUEST, "The request was refused (HTTP " + status + ").");
  }

  @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 2000)
  public Response unexpected(Exception e) {
    if (DataErrors.isBadValue(e)) {
      return Problem.response(ApiError.INVALID_REQUEST, DataErrors.DETAIL);
    }
    // the pre-checks passed but a concurrent request took the name first; the commit failed
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.hibernate.exception.ConstraintViolationException) {
        return Problem.response(
            ApiError.CONFLICT,
            "A concurrent change conflicts with this request; nothing was stored. Retry.");
      }
    }
    LOG.error("request failed", e);
    return Problem.response(ApiError.INTERNAL_ERROR, "The server failed; see its log.");
  }
}
