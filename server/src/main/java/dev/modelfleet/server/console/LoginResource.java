package dev.modelfleet.server.console;

import dev.modelfleet.server.access.ConsoleSessions;
import dev.modelfleet.server.access.ConsoleSessions.SignIn;
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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Signing in with an API token and out again. The sign-in form carries a token that must match a
 * cookie set with the form (double submit), so no other site can sign a browser in to an account of
 * its choosing; the session cookie is HttpOnly, SameSite=Strict, Secure when the request came over
 * HTTPS, and expires with the session.
 */
@Path("/console")
@Produces(MediaType.TEXT_HTML)
public class LoginResource {

  static final String LOGIN = "/console/login";
  private static final String LOGIN_CSRF_COOKIE = "mf_login_csrf";

  @Inject
  @Location("console/login.html")
  Template login;

  @Inject ConsoleSessions sessions;
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
    return login.data("csrf", csrf).data("error", error);
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
