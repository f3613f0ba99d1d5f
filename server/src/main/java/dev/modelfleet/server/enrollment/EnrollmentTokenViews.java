package dev.modelfleet.server.enrollment;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

public final class EnrollmentTokenViews {

  private EnrollmentTokenViews() {}

  /**
   * Expiry as either a lifetime or an instant; maxUses defaults to 1; requireApproval (default
   * false) makes devices enrolled with the token wait for an operator's approval.
   */
  public record CreateToken(
      String name,
      Map<String, String> labels,
      Long expiresInSeconds,
      Instant expiresAt,
      Integer maxUses,
      Boolean requireApproval) {}

  public record TokenView(
      UUID id,
      String name,
      Map<String, String> labels,
      Instant expiresAt,
      int maxUses,
      int uses,
      Instant revokedAt,
      Instant createdAt,
      String state,
      boolean requireApproval) {

    static TokenView of(EnrollmentToken t, Instant now) {
      return new TokenView(
          t.id,
          t.name,
          t.labels,
          t.expiresAt,
          t.maxUses,
          t.uses,
          t.revokedAt,
          t.createdAt,
          t.state(now),
          t.requireApproval);
    }
  }

  /** The only response that ever carries the secret. */
  public record CreatedToken(String token, TokenView enrollmentToken) {}
}
