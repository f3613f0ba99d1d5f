package dev.modelfleet.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One recorded API call; {@code actor} and {@code role} are null when it was unauthenticated.
 * {@code before} and {@code after} are the changed resource's fields that differ (see {@link
 * ResourceChange}); both null when the call failed or changes no stored resource, and {@code
 * before} null when it created one. {@code count} is 1, except for unauthenticated calls: an entry
 * stands for those from one address within one window (see {@link RefusedRequests}), and shows the
 * first one's time, method and path.
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
    JsonNode after,
    int count) {

  AuditEntry withChange(ResourceChange change) {
    return new AuditEntry(
        id,
        at,
        actor,
        role,
        remoteAddress,
        method,
        path,
        status,
        target,
        resourceId,
        requestBody,
        outcome,
        change.before(),
        change.after(),
        count);
  }

  AuditEntry withCount(int calls) {
    return new AuditEntry(
        id,
        at,
        actor,
        role,
        remoteAddress,
        method,
        path,
        status,
        target,
        resourceId,
        requestBody,
        outcome,
        before,
        after,
        calls);
  }

  AuditEntry withRemoteAddress(String address) {
    return new AuditEntry(
        id,
        at,
        actor,
        role,
        address,
        method,
        path,
        status,
        target,
        resourceId,
        requestBody,
        outcome,
        before,
        after,
        count);
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
