package dev.modelfleet.server.access;

import java.time.Instant;
import java.util.UUID;

public final class AccessViews {

  private AccessViews() {}

  /** No expiry: the token lives until it is revoked. */
  public record CreateApiToken(String name, String role, Long expiresInSeconds) {}

  public record ApiTokenView(
      UUID id,
      String name,
      String role,
      Instant createdAt,
      String createdBy,
      Instant expiresAt,
      Instant revokedAt,
      Instant lastUsedAt,
      String state) {

    static ApiTokenView of(ApiToken t, Instant now) {
      return new ApiTokenView(
          t.id,
          t.name,
          t.role,
          t.createdAt,
          t.createdBy,
          t.expiresAt,
          t.revokedAt,
          t.lastUsedAt,
          t.state(now));
    }
  }

  /** The only response that ever carries the secret. */
  public record CreatedApiToken(String token, ApiTokenView apiToken) {}
}
