package dev.modelfleet.server.console;

import dev.modelfleet.server.access.ApiTokenService.Authentication;
import dev.modelfleet.server.access.ConsoleSessions;
import dev.modelfleet.server.access.ConsoleSessions.SignIn;
import dev.modelfleet.server.access.OidcCodeFlow;
import dev.modelfleet.server.common.Secrets;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.jboss.logging.Logger;

/**
 * Signing in with an API token, or through the OpenID Connect provider when one is configured, and
 * out again. The sign-in form carries a token that must match a cookie set with the form (double
 * submit), so no other site can sign a browser in to an account of its choosing; the session cookie
 * is HttpOnly, SameSite=Strict, Secure when the request came over HTTPS, and expires with the
 * session.
 *
 * <p>The provider's sign-in ({@link OidcCodeFlow}) keeps its state, nonce and PKCE verifier in a
 * cookie scoped to the callback path (SameSite=Lax: the provider's redirect back is a cross-site
 * navigation, on which a Strict cookie would not come). The callback refuses a state that is not
 * the cookie's (a code injected from another browser's sign-in) before it looks at anything else,
 * and opens a session only for a verified person with a role.
 */
@Path("/console")
@Produces(MediaType.TEXT_HTML)
public class LoginResource {

  static final String LOGIN = "/console/login";
  static final String OIDC_START = LOGIN + "/oidc";
  static final String OIDC_CALLBACK = OIDC_START + "/callback";
  private static final String LOGIN_CSRF_COOKIE = "mf_login_csrf";
  private static final String OIDC_COOKIE = "mf_oidc";
  private static final int OIDC_PENDING_SECONDS = 600;
  private static final Logger LOG = Logger.getLogger(LoginResource.class);

  @Inject
  @Location("console/login.html")
  Template login;

  @Inject
  @Location("console/signed-in.html")
  Template signedIn;

  @Inject ConsoleSessions sessions;
  @Inject OidcCodeFlow oidc;
  @Inject HttpServerRequest http;

  @GET
  @Path("/login")
  public Response form() {
    String csrf = Secrets.newSecret();
    return Response.ok(page(csrf, null)).cookie(cookie(LOGIN_CSRF_COOKIE, csrf, 600)).build();
  }

  @POST
  @Path("/login")
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public Response signIn(
      @FormParam("token") String token,
      @FormParam("csrf") String csrf,
      @CookieParam(LOGIN_CSRF_COOKIE) String expected) {
    if (csrf == null
        || expected == null
        || !MessageDigest.isEqual(
            csrf.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
      String fresh = Secrets.newSecret();
      return Response.status(Response.Status.FORBIDDEN)
          .entity(page(fresh, "The sign-in form expired; sign in again."))
          .cookie(cookie(LOGIN_CSRF_COOKIE, fresh, 600))
          .build();
    }
    SignIn result = sessions.signIn(token);
    if (result.session() == null) {
      return Response.status(Response.Status.UNAUTHORIZED)
          .entity(page(csrf, result.refusal()))
          .build();
    }
    return Response.seeOther(URI.create("/console"))
        .cookie(
            cookie(ConsoleSessions.COOKIE, result.secret(), (int) sessions.lifetime().toSeconds()),
            cookie(LOGIN_CSRF_COOKIE, "", 0))
        .build();
  }

  /** Sends the browser to the provider, remembering this sign-in's secrets in a cookie. */
  @GET
  @Path("/login/oidc")
  public Response startOidc() {
    if (!oidc.enabled()) {
      return refusal(Response.Status.NOT_FOUND, "Sign-in through a provider is not configured.");
    }
    OidcCodeFlow.Start start;
    try {
      start = oidc.start(redirectUri());
    } catch (IOException e) {
      LOG.warnf("cannot start a console sign-in through the provider: %s", e.getMessage());
      return refusal(
          Response.Status.BAD_GATEWAY,
          "The identity provider cannot be reached; try again later, or sign in with an API token.");
    }
    String pending = start.state() + "." + start.nonce() + "." + start.verifier();
    return Response.seeOther(URI.create(start.authorizationUrl()))
        .cookie(oidcCookie(pending, OIDC_PENDING_SECONDS))
        .build();
  }

  /**
   * Where the provider sends the browser back: the state must be this browser's, then the code is
   * exchanged and the tokens checked. The session cookie is set on a page that moves on to the
   * console by itself, since a Strict cookie set at the end of a cross-site redirect would not yet
   * be sent on a redirect that continues it.
   */
  @GET
  @Path("/login/oidc/callback")
  public Response finishOidc(
      @QueryParam("code") String code,
      @QueryParam("state") String state,
      @QueryParam("error") String error,
      @CookieParam(OIDC_COOKIE) String pending) {
    if (!oidc.enabled()) {
      return refusal(Response.Status.NOT_FOUND, "Sign-in through a provider is not configured.");
    }
    String[] secrets = pending == null ? new String[0] : pending.split("\\.");
    if (secrets.length != 3 || state == null || !equal(secrets[0], state)) {
      return refusal(
          Response.Status.BAD_REQUEST,
          "This sign-in did not start in this browser, or took longer than ten minutes (its state"
              + " does not match); nothing was signed in. Sign in again.");
    }
    if (error != null) {
      return refusal(
          Response.Status.FORBIDDEN,
          "access_denied".equals(error)
              ? "The identity provider did not sign you in (access denied)."
              : "The identity provider did not sign you in ("
                  + (error.matches("[a-z_]{1,40}") ? error : "an error")
                  + "); sign in again.");
    }
    if (code == null || code.isBlank()) {
      return refusal(
          Response.Status.BAD_REQUEST, "The identity provider sent no code; sign in again.");
    }
    Authentication person = oidc.finish(code, redirectUri(), secrets[2], secrets[1]);
    if (person.identity() == null) {
      return refusal(Response.Status.UNAUTHORIZED, person.refusal());
    }
    SignIn result = sessions.signInPerson(person.identity());
    if (result.session() == null) {
      return refusal(Response.Status.FORBIDDEN, result.refusal());
    }
    return Response.ok(signedIn.data("name", person.identity().name()))
        .cookie(
            cookie(ConsoleSessions.COOKIE, result.secret(), (int) sessions.lifetime().toSeconds()),
            oidcCookie("", 0))
        .build();
  }

  /** Ends the session on every replica and clears the cookie. */
  @POST
  @Path("/logout")
  public Response signOut(@CookieParam(ConsoleSessions.COOKIE) String secret) {
    sessions.signOut(secret);
    return Response.noContent()
        .header("HX-Redirect", LOGIN)
        .cookie(cookie(ConsoleSessions.COOKIE, "", 0))
        .build();
  }

  private TemplateInstance page(String csrf, String error) {
    return login
        .data("csrf", csrf)
        .data("error", error)
        .data("oidc", oidc.enabled() ? oidc.providerName() : null);
  }

  /** The sign-in page with what went wrong; the pending provider sign-in is forgotten. */
  private Response refusal(Response.Status status, String message) {
    String csrf = Secrets.newSecret();
    return Response.status(status)
        .entity(page(csrf, message))
        .cookie(cookie(LOGIN_CSRF_COOKIE, csrf, 600), oidcCookie("", 0))
        .build();
  }

  private String redirectUri() {
    String authority = http.authority() == null ? "localhost" : http.authority().toString();
    return oidc.redirectUri(http.isSSL() ? "https" : http.scheme(), authority, OIDC_CALLBACK);
  }

  private static boolean equal(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private NewCookie oidcCookie(String value, int maxAge) {
    return new NewCookie.Builder(OIDC_COOKIE)
        .value(value)
        .path(OIDC_START)
        .maxAge(maxAge)
        .httpOnly(true)
        .secure(http.isSSL() || "https".equals(http.scheme()))
        .sameSite(NewCookie.SameSite.LAX)
        .build();
  }

  private NewCookie cookie(String name, String value, int maxAge) {
    return new NewCookie.Builder(name)
        .value(value)
        .path("/")
        .maxAge(maxAge)
        .httpOnly(true)
        .secure(http.isSSL() || "https".equals(http.scheme()))
        .sameSite(NewCookie.SameSite.STRICT)
        .build();
  }
}
