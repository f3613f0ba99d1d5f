package dev.modelfleet.server.audit;

import dev.modelfleet.server.access.AdminOnly;
import dev.modelfleet.server.common.ApiError;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/** Reads the audit log; admin only (see AccessPolicy). */
@AdminOnly
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;

  private final AuditLog log;

  AuditResource(AuditLog log) {
    this.log = log;
  }

  @GET
  public List<AuditEntry> find(
      @QueryParam("actor") String actor,
      @QueryParam("since") String since,
      @QueryParam("limit") String limit) {
    return log.find(blankToNull(actor), since(since), limit(limit));
  }

  private static Instant since(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiError.INVALID_REQUEST.exception(
          "'since' must be an ISO-8601 instant such as 2026-11-26T09:20:42Z.");
    }
  }

  private static int limit(String text) {
    if (text == null || text.isBlank()) {
      return DEFAULT_LIMIT;
    }
    try {
      int value = Integer.parseInt(text);
      if (value >= 1 && value <= MAX_LIMIT) {
        return value;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiError.INVALID_REQUEST.exception("'limit' must be between 1 and " + MAX_LIMIT + ".");
  }

  private static String blankToNull(String text) {
    return text == null || text.isBlank() ? null : text;
  }
}
