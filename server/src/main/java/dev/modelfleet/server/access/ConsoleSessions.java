package dev.modelfleet.server.access;

import dev.modelfleet.server.common.Secrets;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Console sign-in: an API token (or the configured admin token) is exchanged once for a session
 * whose secret lives in an HttpOnly cookie. The session carries the token's name and role, a CSRF
 * token, and a fixed expiry; it ends earlier when its API token is revoked or expires, or when the
 * person signs out.
 */
@ApplicationScoped
public class ConsoleSessions {

  /** The cookie that carries the session's secret. */
  public static final String COOKIE = "mf_session";

  /** The header a state-changing request authenticated by the cookie must carry. */
  public static final String CSRF_HEADER = "X-CSRF-Token";

  private final byte[] adminToken;
  private final ApiTokenService tokens;
  private final Duration lifetime;
  private final Clock clock;

  ConsoleSessions(
      AdminTokenConfig config, ApiTokenService tokens, ConsoleConfig console, Clock clock) {
    this.adminToken =
        config
            .adminToken()
            .filter(token -> !token.isBlank())
            .map(token -> token.getBytes(StandardCharsets.UTF_8))
            .orElse(null);
    this.tokens = tokens;
    this.lifetime = console.sessionLifetime();
    this.clock = clock;
  }

  /** A signed-in session: who, the CSRF token to echo, and until when. */
  public record Session(Identity identity, String csrfToken, Instant expiresAt) {

    /** Whether {@code presented} is this session's CSRF token (constant time). */
    public boolean csrfMatches(String presented) {
      return presented != null
          && MessageDigest.isEqual(
              presented.getBytes(StandardCharsets.UTF_8),
              csrfToken.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The new cookie secret and its session, or why there is none. */
  public record SignIn(String secret, Session session, String refusal) {}

  public Duration lifetime() {
    return lifetime;
  }

  @Transactional
  public SignIn signIn(String presented) {
    String token = presented == null ? "" : presented.strip();
    if (token.isEmpty()) {
      return new SignIn(null, null, "Paste an API token to sign in.");
    }
    Identity identity;
    ApiToken apiToken = null;
    if (adminToken != null
        && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), adminToken)) {
      identity = Identity.BOOTSTRAP;
    } else if (token.startsWith(ApiTokenService.PREFIX)) {
      ApiTokenService.Authentication auth = tokens.authenticate(token);
      if (auth.identity() == null) {
        return new SignIn(null, null, auth.refusal());
      }
      identity = auth.identity();
      apiToken = ApiToken.find("secretHash", Secrets.hash(token)).firstResult();
    } else {
      return new SignIn(null, null, ApiTokenService.Authentication.UNKNOWN);
    }
    return open(identity, apiToken == null ? null : apiToken.id);
  }

  /**
   * A session for a person the OpenID Connect provider signed in ({@link OidcCodeFlow}): the same
   * row and cookie as a token's session, ended by its lifetime or by signing out (no API token to
   * revoke). Null role: no session; the caller says why.
   */
  @Transactional
  public SignIn signInPerson(Identity person) {
    if (person.role() == null) {
      return new SignIn(
          null,
          null,
          "Signed in as "
              + person.name()
              + ", but none of your groups is mapped to a role of this server; ask an admin for a"
              + " group that modelfleet.oidc.role-mappings maps to admin, operator or viewer.");
    }
    return open(person, null);
  }

  private SignIn open(Identity identity, UUID apiTokenId) {
    Instant now = clock.instant();
    String secret = Secrets.newSecret();
    ConsoleSession row = new ConsoleSession();
    row.idHash = Secrets.hash(secret);
    row.name = identity.name();
    row.role = identity.role().wire();
    row.apiTokenId = apiTokenId;
    row.csrfToken = Secrets.newSecret();
    row.createdAt = now;
    row.expiresAt = now.plus(lifetime);
    row.persist();
    // sessions that ran out are removed as new ones begin, so the table stays small
    ConsoleSession.delete("expiresAt < ?1", now);
    return new SignIn(secret, new Session(identity, row.csrfToken, row.expiresAt), null);
  }

  /** The session the cookie's secret opens, if it is still valid. */
  @Transactional
  public Optional<Session> find(String secret) {
    if (secret == null || secret.isBlank()) {
      return Optional.empty();
    }
    ConsoleSession row = ConsoleSession.findById(Secrets.hash(secret));
    Instant now = clock.instant();
    if (row == null || !now.isBefore(row.expiresAt)) {
      return Optional.empty();
    }
    if (row.apiTokenId != null) {
      ApiToken token = ApiToken.findById(row.apiTokenId);
      if (token == null || token.refusal(now) != null) {
        return Optional.empty();
      }
    }
    return Optional.of(
        new Session(new Identity(row.name, Role.parse(row.role)), row.csrfToken, row.expiresAt));
  }

  /** Ends the session on every replica; nothing happens for an unknown secret. */
  @Transactional
  public void signOut(String secret) {
    if (secret != null && !secret.isBlank()) {
      ConsoleSession.deleteById(Secrets.hash(secret));
    }
  }
}
