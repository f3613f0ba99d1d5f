package dev.modelfleet.server.audit;

import dev.modelfleet.server.access.AdminOnly;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.PageParams;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

/** Reads the audit log; admin only (see AccessPolicy). */
@AdminOnly
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

  private final AuditLog log;

  AuditResource(AuditLog log) {
    this.log = log;
  }

  @Operation(summary = "The audit log, newest first (paged)")
  @APIResponse(
      responseCode = "200",
      description = PageParams.ONE_PAGE,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(type = SchemaType.ARRAY, implementation = AuditEntry.class)))
  @GET
  public RestResponse<List<AuditEntry>> find(
      @QueryParam("actor") String actor,
      @QueryParam("since") String since,
      @BeanParam PageParams page,
      @Context UriInfo uri) {
    return PageParams.response(log.find(blankToNull(actor), since(since), page.request()), uri);
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

  private static String blankToNull(String text) {
    return text == null || text.isBlank() ? null : text;
  }
}
