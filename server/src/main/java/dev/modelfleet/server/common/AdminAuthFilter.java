package dev.modelfleet.server.common;

import dev.modelfleet.server.access.AccessPolicy;
import dev.modelfleet.server.access.ApiTokenService;
import dev.modelfleet.server.access.ApiTokenService.Authentication;
import dev.modelfleet.server.access.Caller;
import dev.modelfleet.server.access.Identity;
import dev.modelfleet.server.access.OidcVerifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * Requires a bearer token on everything under /api and enforces the caller's role. Pre-matching,
 * so that an unknown path under /api is refused as unauthenticated rather than revealed as
 * missing. The configured admin token is the bootstrap identity; API tokens are looked up by
 * hash (off the event loop, since that reads the database); when OpenID Connect is on, a
 * person's signed token is checked against the provider's key (no database, no network).
 */
public class AdminAuthFilter {

  private static final String BEARER = "Bearer ";

  /** Null when none is configured (only possible in dev and test: see ProductionGuard). */
  private final byte[] adminToken;
  private final ApiTokenService tokens;
  private final OidcVerifier oidc;
  private final Caller caller;

  public AdminAuthFilter(AdminTokenConfig config, ApiTokenService tokens, OidcVerifier oidc,
      Caller caller) {
    this.adminToken = config.adminToken()
        .filter(token -> !token.isBlank())
        .map(token -> token.getBytes(StandardCharsets.UTF_8))
        .orElse(null);
    this.tokens = tokens;
    this.oidc = oidc;
    this.caller = caller;
  }

  @ServerRequestFilter(preMatching = true)
  public Uni<Response> authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("/api/") && !path.equals("/api")) {
      return Uni.createFrom().nullItem();
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.startsWith(BEARER)) {
      return Uni.createFrom().item(Problem.response(
          ApiError.UNAUTHENTICATED, "Send a token as 'Authorization: Bearer <token>'."));
    }
    String presented = header.substring(BEARER.length()).trim();
    if (adminToken != null
        && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), adminToken)) {
      return Uni.createFrom().item(authorize(request, path, Identity.BOOTSTRAP));
    }
    if (oidc.enabled() && OidcVerifier.looksLikeJwt(presented)) {
      Authentication person = oidc.verify(presented);
      if (person.identity() == null) {
        return Uni.createFrom().item(Problem.response(ApiError.UNAUTHENTICATED, person.refusal()));
      }
      if (person.identity().role() == null) {
        request.setProperty(Identity.PROPERTY, person.identity());
        return Uni.createFrom().item(Problem.response(ApiError.FORBIDDEN,
            "Signed in as " + person.identity().name() + ", but the token's roles claim maps to"
                + " no role of this server; ask for a group that maps to admin, operator or"
                + " viewer."));
      }
      return Uni.createFrom().item(authorize(request, path, person.identity()));
    }
    if (!presented.startsWith(ApiTokenService.PREFIX)) {
      return Uni.createFrom().item(
          Problem.response(ApiError.UNAUTHENTICATED, Authentication.UNKNOWN));
    }
    return Uni.createFrom().item(() -> tokens.authenticate(presented))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        .map(auth -> auth.identity() == null
            ? Problem.response(ApiError.UNAUTHENTICATED, auth.refusal())
            : authorize(request, path, auth.identity()));
  }

  /**
   * Checks the admin-only areas again on the matched resource: a spelling of the path that the
   * prefix check above does not recognise ("/api/v1/./access") still routes to the same class.
   */
  @ServerRequestFilter
  public Response authorizeMatched(ContainerRequestContext request, SimpleResourceInfo resource) {
    Object authenticated = request.getProperty(Identity.PROPERTY);
    if (!(authenticated instanceof Identity identity) || resource.getResourceClass() == null) {
      return null;
    }
    String refusal = AccessPolicy.refusal(identity.role(), resource.getResourceClass());
    if (refusal != null) {
      return Problem.response(ApiError.FORBIDDEN, refusal);
    }
    // after routing, on the thread that runs the resource: the request scope is the resource's
    caller.authenticated(identity);
    return null;
  }

  private static Response authorize(ContainerRequestContext request, String path, Identity caller) {
    request.setProperty(Identity.PROPERTY, caller);
    String refusal = AccessPolicy.refusal(caller.role(), request.getMethod(), path);
    return refusal == null ? null : Problem.response(ApiError.FORBIDDEN, refusal);
  }
}
