package dev.modelfleet.server.enrollment;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

public final class EnrollmentTokenViews {

  private EnrollmentTokenViews() {}

  /** Expiry as either a lifetime or an instant; maxUses defaults to 1. */
  public record CreateToken(
      String name,
      Map<String, String> labels,
      Long expiresInSeconds,
      Instant expiresAt,
      Integer maxUses) {}

  public record TokenView(
      UUID id,
      String name,
      Map<String, String> labels,
      Instant expiresAt,
      int maxUses,
      int uses,
      Instant revokedAt,
      Instant createdAt,
      String state) {

    static TokenView of(EnrollmentToken t, Instant now) {
      return new TokenView(
          t.id, t.name, t.labels, t.expiresAt, t.maxUses, t.uses, t.revokedAt, t.createdAt,
          t.state(now));
    }
  }

  /** The only response that ever carries the secret. */
  public record CreatedToken(String token, TokenView enrollmentToken) {}
}
