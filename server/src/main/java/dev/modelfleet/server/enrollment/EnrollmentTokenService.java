package dev.modelfleet.server.enrollment;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.common.Secrets;
import dev.modelfleet.server.device.Labels;
import dev.modelfleet.server.enrollment.EnrollmentTokenViews.CreateToken;
import dev.modelfleet.server.enrollment.EnrollmentTokenViews.CreatedToken;
import dev.modelfleet.server.enrollment.EnrollmentTokenViews.TokenView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class EnrollmentTokenService {

  static final Duration DEFAULT_LIFETIME = Duration.ofDays(1);

  /** Far beyond any sensible token, and well inside what Instant and PostgreSQL can hold. */
  static final Duration MAX_LIFETIME = Duration.ofDays(100 * 366);

  private final Clock clock;

  EnrollmentTokenService(Clock clock) {
    this.clock = clock;
  }

  @Transactional
  public CreatedToken create(CreateToken request) {
    if (request.name() == null || request.name().isBlank() || request.name().length() > 200) {
      throw ApiError.INVALID_REQUEST.exception("'name' is required (1 to 200 characters).");
    }
    Instant now = clock.instant();
    EnrollmentToken token = new EnrollmentToken();
    token.id = UUID.randomUUID();
    token.name = request.name();
    token.labels = Labels.validate(request.labels());
    token.expiresAt = expiry(request, now);
    token.maxUses = request.maxUses() == null ? 1 : request.maxUses();
    if (token.maxUses < 1) {
      throw ApiError.INVALID_REQUEST.exception("'maxUses' must be at least 1.");
    }
    String secret = Secrets.newSecret();
    token.secretHash = Secrets.hash(secret);
    token.createdAt = now;
    token.requireApproval = Boolean.TRUE.equals(request.requireApproval());
    token.persist();
    return new CreatedToken(secret, TokenView.of(token, now));
  }

  @Transactional
  public Page<TokenView> list(PageRequest page) {
    Instant now = clock.instant();
    return page.fill(
            new Class<?>[] {Instant.class, UUID.class},
            (after, count) ->
                (after == null
                        ? EnrollmentToken.<EnrollmentToken>find("order by createdAt, id")
                        : EnrollmentToken.<EnrollmentToken>find(
                            "(createdAt, id) > (?1, ?2) order by createdAt, id", after.toArray()))
                    .range(0, count - 1)
                    .list(),
            t -> List.of(t.createdAt, t.id),
            null)
        .map(t -> TokenView.of(t, now));
  }

  /** Idempotent; devices already enrolled with the token stay enrolled. */
  @Transactional
  public TokenView revoke(UUID id) {
    EnrollmentToken token = EnrollmentToken.findById(id);
    if (token == null) {
      throw ApiError.NOT_FOUND.exception("No enrollment token with id '" + id + "'.");
    }
    if (token.revokedAt == null) {
      token.revokedAt = clock.instant();
    }
    return TokenView.of(token, clock.instant());
  }

  private static Instant expiry(CreateToken request, Instant now) {
    if (request.expiresInSeconds() != null && request.expiresAt() != null) {
      throw ApiError.INVALID_REQUEST.exception("Give 'expiresInSeconds' or 'expiresAt', not both.");
    }
    if (request.expiresAt() != null) {
      if (!request.expiresAt().isAfter(now)) {
        throw ApiError.INVALID_REQUEST.exception("'expiresAt' must be in the future.");
      }
      if (request.expiresAt().isAfter(now.plus(MAX_LIFETIME))) {
        throw ApiError.INVALID_REQUEST.exception("'expiresAt' must be within 100 years from now.");
      }
      return request.expiresAt();
    }
    if (request.expiresInSeconds() != null) {
      if (request.expiresInSeconds() <= 0) {
        throw ApiError.INVALID_REQUEST.exception("'expiresInSeconds' must be positive.");
      }
      if (request.expiresInSeconds() > MAX_LIFETIME.toSeconds()) {
        throw ApiError.INVALID_REQUEST.exception(
            "'expiresInSeconds' must be at most " + MAX_LIFETIME.toSeconds() + " (100 years).");
      }
      return now.plusSeconds(request.expiresInSeconds());
    }
    return now.plus(DEFAULT_LIFETIME);
  }
}
