package dev.modelfleet.server.access;

import dev.modelfleet.server.access.ApiTokenService.Authentication;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Problem;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * Requires a bearer token on everything under /api and enforces the caller's role. Pre-matching, so
 * that an unknown path under /api is refused as unauthenticated rather than revealed as missing.
 * The configured admin token is the bootstrap identity; API tokens are looked up by hash (off the
 * event loop, since that reads the database); when OpenID Connect is on, a person's signed token is
 * checked against the provider's keys (also off the event loop: they may have to be fetched).
 */
public class AdminAuthFilter {

  private static final String BEARER = "Bearer ";
  private static final String NO_TOKEN = "Send a token as 'Authorization: Bearer <token>'.";

  /** Null when none is configured (only possible in dev and test: see ProductionGuard). */
  private final byte[] adminToken;

  private final ApiTokenService tokens;
  private final OidcVerifier oidc;
  private final ConsoleSessions sessions;
  private final Caller caller;

  public AdminAuthFilter(
      AdminTokenConfig config,
      ApiTokenService tokens,
      OidcVerifier oidc,
      ConsoleSessions sessions,
      Caller caller) {
    this.adminToken =
        config
            .adminToken()
            .filter(token -> !token.isBlank())
            .map(token -> token.getBytes(StandardCharsets.UTF_8))
            .orElse(null);
    this.tokens = tokens;
    this.oidc = oidc;
    this.sessions = sessions;
    this.caller = caller;
  }

  @ServerRequestFilter(preMatching = true)
  public Uni<Response> authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("/api/") && !path.equals("/api")) {
      return Uni.createFrom().nullItem();
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    Cookie session = request.getCookies().get(ConsoleSessions.COOKIE);
    if (header == null && session != null) {
      return Uni.createFrom()
          .item(() -> sessions.find(session.getValue()))
          .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
          .map(found -> consoleResponse(request, path, found));
    }
    if (header == null || !header.startsWith(BEARER)) {
      return Uni.createFrom().item(Problem.response(ApiError.UNAUTHENTICATED, NO_TOKEN));
    }
    String presented = header.substring(BEARER.length()).trim();
    if (adminToken != null
        && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), adminToken)) {
      return Uni.createFrom().item(authorize(request, path, Identity.BOOTSTRAP));
    }
    if (oidc.enabled() && OidcVerifier.looksLikeJwt(presented)) {
      // off the event loop: checking the signature may fetch the provider's keys
      return Uni.createFrom()
          .item(() -> oidc.verify(presented))
          .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
          .map(person -> personResponse(request, path, person));
    }
    if (!presented.startsWith(ApiTokenService.PREFIX)) {
      return Uni.createFrom()
          .item(Problem.response(ApiError.UNAUTHENTICATED, Authentication.UNKNOWN));
    }
    return Uni.createFrom()
        .item(() -> tokens.authenticate(presented))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        .map(
            auth ->
                auth.identity() == null
                    ? Problem.response(ApiError.UNAUTHENTICATED, auth.refusal())
                    : authorize(request, path, auth.identity()));
  }

  /**
   * Checks again on the matched resource, and fails closed. A resource of the admin API (its
   * class's {@code @Path} is under /api) runs only for a caller the check above authenticated:
   * whatever route a request took past that check (a spelling of the path it does not recognise, a
   * pre-matching filter that rewrote the URI after it), it reaches no admin resource without a
   * token. No resource under /api is public: health and the OpenAPI document are under /q, how to
   * sign in is under /auth, enrollment is on the gRPC port, and agents fetch artifacts under /agent
   * with their device credential. The admin-only areas are checked here by class too:
   * "/api/v1/./access" still routes to the same class.
   */
  @ServerRequestFilter
  public Response authorizeMatched(ContainerRequestContext request, SimpleResourceInfo resource) {
    Object authenticated = request.getProperty(Identity.PROPERTY);
    if (!(authenticated instanceof Identity identity)) {
      return servesAdminApi(request, resource)
          ? Problem.response(ApiError.UNAUTHENTICATED, NO_TOKEN)
          : null;
    }
    if (identity.role() == null) {
      // the pre-matching check refuses such a caller already; never let one act
      return Problem.response(ApiError.FORBIDDEN, "This caller has no role on this server.");
    }
    if (resource.getResourceClass() != null) {
      String refusal = AccessPolicy.refusal(identity.role(), resource.getResourceClass());
      if (refusal != null) {
        return Problem.response(ApiError.FORBIDDEN, refusal);
      }
    }
    // after routing, on the thread that runs the resource: the request scope is the resource's
    caller.authenticated(identity);
    return null;
  }

  /** By the matched class's declared path, not by how the request spelled it. */
  private static boolean servesAdminApi(
      ContainerRequestContext request, SimpleResourceInfo resource) {
    Class<?> type = resource.getResourceClass();
    Path declared = type == null ? null : type.getAnnotation(Path.class);
    String path = declared != null ? declared.value() : request.getUriInfo().getPath();
    String absolute = path.startsWith("/") ? path : "/" + path;
    return absolute.equals("/api") || absolute.startsWith("/api/");
  }

  private static Response personResponse(
      ContainerRequestContext request, String path, Authentication person) {
    if (person.identity() == null) {
      return Problem.response(ApiError.UNAUTHENTICATED, person.refusal());
    }
    if (person.identity().role() == null) {
      request.setProperty(Identity.PROPERTY, person.identity());
      return Problem.response(
          ApiError.FORBIDDEN,
          "Signed in as "
              + person.identity().name()
              + ", but no value of the token's roles claim is mapped to a role of this server; ask"
              + " for a group that modelfleet.oidc.role-mappings maps to admin, operator or viewer.");
    }
    return authorize(request, path, person.identity());
  }

  /**
   * The console's own script calls the API with the session cookie. SameSite=Strict keeps the
   * cookie off other sites' requests; a change must also echo the session's CSRF token in a header,
   * which no cross-site form can set.
   */
  private static Response consoleResponse(
      ContainerRequestContext request, String path, Optional<ConsoleSessions.Session> session) {
    if (session.isEmpty()) {
      return Problem.response(
          ApiError.UNAUTHENTICATED, "The console session ended; sign in again at /console/login.");
    }
    if (!AccessPolicy.isRead(request.getMethod())
        && !session.get().csrfMatches(request.getHeaderString(ConsoleSessions.CSRF_HEADER))) {
      return Problem.response(
          ApiError.FORBIDDEN,
          "A change made with the console's session cookie must carry the session's CSRF token in"
              + " the "
              + ConsoleSessions.CSRF_HEADER
              + " header; reload the console page.");
    }
    return authorize(request, path, session.get().identity());
  }

  private static Response authorize(ContainerRequestContext request, String path, Identity caller) {
    request.setProperty(Identity.PROPERTY, caller);
    String refusal = AccessPolicy.refusal(caller.role(), request.getMethod(), path);
    return refusal == null ? null : Problem.response(ApiError.FORBIDDEN, refusal);
  }
}
