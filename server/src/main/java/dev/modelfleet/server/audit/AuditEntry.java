package dev.modelfleet.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One recorded API call; {@code actor} and {@code role} are null when it was unauthenticated.
 * {@code before} and {@code after} are the changed resource's fields that differ (see
 * {@link ResourceChange}); both null when the call failed or changes no stored resource, and
 * {@code before} null when it created one.
 */
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
    String outcome,
    JsonNode before,
    JsonNode after) {

  AuditEntry withChange(ResourceChange change) {
    return new AuditEntry(id, at, actor, role, remoteAddress, method, path, status, target,
        resourceId, requestBody, outcome, change.before(), change.after());
  }

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
