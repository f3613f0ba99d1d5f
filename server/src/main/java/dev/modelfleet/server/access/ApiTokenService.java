package dev.modelfleet.server.access;

import dev.modelfleet.server.access.AccessViews.ApiTokenView;
import dev.modelfleet.server.access.AccessViews.CreateApiToken;
import dev.modelfleet.server.access.AccessViews.CreatedApiToken;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Names;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.common.Secrets;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class ApiTokenService {

  /** Makes a leaked API token recognisable (secret scanners, logs) and tells it from others. */
  public static final String PREFIX = "mft_";

  /** Far beyond any sensible token, and well inside what Instant and PostgreSQL can hold. */
  static final Duration MAX_LIFETIME = Duration.ofDays(100 * 366);

  /**
   * last_used_at is a hint for finding unused tokens, so one write a minute per token is enough.
   */
  static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

  private final Clock clock;

  ApiTokenService(Clock clock) {
    this.clock = clock;
  }

  @Transactional
  public CreatedApiToken create(CreateApiToken request, Identity creator) {
    String name = Names.require("Token name", request.name());
    Role role = Role.parse(request.role());
    if (role == null) {
      throw ApiError.INVALID_REQUEST.exception(
          "'role' must be one of admin, operator, viewer (got '" + request.role() + "').");
    }
    Instant now = clock.instant();
    Instant expiresAt = expiry(request.expiresInSeconds(), now);
    if (name.equals(Identity.BOOTSTRAP.name()) || ApiToken.count("name", name) > 0) {
      throw ApiError.DUPLICATE_NAME.exception("An API token named '" + name + "' exists.");
    }
    ApiToken token = new ApiToken();
    token.id = UUID.randomUUID();
    token.name = name;
    token.role = role.wire();
    String secret = PREFIX + Secrets.newSecret();
    token.secretHash = Secrets.hash(secret);
    token.createdAt = now;
    token.createdBy = creator.name();
    token.expiresAt = expiresAt;
    token.persist();
    return new CreatedApiToken(secret, ApiTokenView.of(token, now));
  }

  @Transactional
  public Page<ApiTokenView> list(PageRequest page) {
    Instant now = clock.instant();
    return page.fill(
            new Class<?>[] {Instant.class, UUID.class},
            (after, count) ->
                (after == null
                        ? ApiToken.<ApiToken>find("order by createdAt, id")
                        : ApiToken.<ApiToken>find(
                            "(createdAt, id) > (?1, ?2) order by createdAt, id", after.toArray()))
                    .range(0, count - 1)
                    .list(),
            t -> List.of(t.createdAt, t.id),
            null)
        .map(t -> ApiTokenView.of(t, now));
  }

  /** Idempotent; takes effect on the token's next request, on every replica. */
  @Transactional
  public ApiTokenView revoke(UUID id) {
    ApiToken token = ApiToken.findById(id);
    if (token == null) {
      throw ApiError.NOT_FOUND.exception("No API token with id '" + id + "'.");
    }
    Instant now = clock.instant();
    if (token.revokedAt == null) {
      token.revokedAt = now;
    }
    return ApiTokenView.of(token, now);
  }

  /** The caller a secret stands for, or why it stands for none. */
  @Transactional
  public Authentication authenticate(String secret) {
    ApiToken token = ApiToken.find("secretHash", Secrets.hash(secret)).firstResult();
    if (token == null) {
      return Authentication.refused(Authentication.UNKNOWN);
    }
    Instant now = clock.instant();
    String refusal = token.refusal(now);
    if (refusal != null) {
      return Authentication.refused(refusal);
    }
    if (token.lastUsedAt == null || token.lastUsedAt.isBefore(now.minus(LAST_USED_RESOLUTION))) {
      token.lastUsedAt = now;
    }
    return Authentication.of(new Identity(token.name, Role.parse(token.role)));
  }

  private static Instant expiry(Long expiresInSeconds, Instant now) {
    if (expiresInSeconds == null) {
      return null;
    }
    if (expiresInSeconds <= 0) {
      throw ApiError.INVALID_REQUEST.exception("'expiresInSeconds' must be positive.");
    }
    if (expiresInSeconds > MAX_LIFETIME.toSeconds()) {
      throw ApiError.INVALID_REQUEST.exception(
          "'expiresInSeconds' must be at most " + MAX_LIFETIME.toSeconds() + " (100 years).");
    }
    return now.plusSeconds(expiresInSeconds);
  }

  /** Either an identity or the reason there is none. */
  public record Authentication(Identity identity, String refusal) {

    /** Says nothing about which tokens exist: the same for every unknown secret. */
    public static final String UNKNOWN = "The token is not valid.";

    static Authentication of(Identity identity) {
      return new Authentication(identity, null);
    }

    public static Authentication refused(String refusal) {
      return new Authentication(null, refusal);
    }
  }
}
