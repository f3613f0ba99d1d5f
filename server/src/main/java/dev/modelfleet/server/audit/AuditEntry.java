package dev.modelfleet.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** One recorded API call; {@code actor} and {@code role} are null when it was unauthenticated. */
public record AuditEntry(
    Long id,
    Instant at,
    String actor,
    String role,
    String remoteAddress,
    String method,
    String path,
    int status,
    String target,
    String resourceId,
    JsonNode requestBody,
    String outcome) {

  public static String outcome(int status) {
    if (status < 400) {
      return "success";
    }
    if (status == 401) {
      return "unauthenticated";
    }
    if (status == 403) {
      return "forbidden";
    }
    return status < 500 ? "rejected" : "failed";
  }
}
