package dev.modelfleet.server.console;

import dev.modelfleet.server.access.ConsoleSessions;
import dev.modelfleet.server.access.ConsoleSessions.Session;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Every console page needs a signed-in session (the sign-in page aside): without one the browser is
 * sent to /console/login. Every state-changing console request must come from the console itself:
 * same origin by the browser's own Origin / Sec-Fetch-Site headers, and with the session's (or the
 * sign-in form's) CSRF token. Every console response carries a Content-Security-Policy that allows
 * scripts and styles from this server only, so no inline script can run.
 */
public class ConsoleAuthFilter {

  static final String SESSION = "modelfleet.console.session";

  /** No inline script or style, nothing from elsewhere, no framing. */
  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final ConsoleSessions sessions;
  private final ConsoleUser user;

  ConsoleAuthFilter(ConsoleSessions sessions, ConsoleUser user) {
    this.sessions = sessions;
    this.user = user;
  }

  @ServerRequestFilter(preMatching = true)
  public Uni<Response> authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!isConsole(path)) {
      return Uni.createFrom().nullItem();
    }
    if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
      String crossSite = crossSite(request);
      if (crossSite != null) {
        return Uni.createFrom().item(ConsolePages.refused(Response.Status.FORBIDDEN, crossSite));
      }
    }
    if (path.equals(LoginResource.LOGIN)
        || path.equals(LoginResource.OIDC_START)
        || path.equals(LoginResource.OIDC_CALLBACK)) {
      return Uni.createFrom().nullItem();
    }
    Cookie cookie = request.getCookies().get(ConsoleSessions.COOKIE);
    if (cookie == null) {
      return Uni.createFrom().item(toLogin(request));
    }
    return Uni.createFrom()
        .item(() -> sessions.find(cookie.getValue()))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        .map(found -> admit(request, found));
  }

  private static Response admit(ContainerRequestContext request, Optional<Session> session) {
    if (session.isEmpty()) {
      return toLogin(request);
    }
    if (!"GET".equals(request.getMethod())
        && !"HEAD".equals(request.getMethod())
        && !session.get().csrfMatches(csrfOf(request))) {
      return ConsolePages.refused(
          Response.Status.FORBIDDEN, "The request did not carry this session's CSRF token.");
    }
    request.setProperty(SESSION, session.get());
    return null;
  }

  /** After routing, on the thread that renders the page. */
  @ServerRequestFilter
  public void fillUser(ContainerRequestContext request) {
    if (request.getProperty(SESSION) instanceof Session session) {
      user.signedIn(session);
    }
  }

  @ServerResponseFilter
  public void secure(ContainerRequestContext request, ContainerResponseContext response) {
    if (!isConsole(request.getUriInfo().getPath())) {
      return;
    }
    var headers = response.getHeaders();
    headers.putSingle("Content-Security-Policy", CSP);
    headers.putSingle("X-Content-Type-Options", "nosniff");
    headers.putSingle("X-Frame-Options", "DENY");
    headers.putSingle("Referrer-Policy", "same-origin");
    headers.putSingle(HttpHeaders.CACHE_CONTROL, "no-store");
  }

  static boolean isConsole(String path) {
    return path.equals("/console") || path.startsWith("/console/");
  }

  /**
   * Why a state-changing request looks cross-site, or null. Browsers send Sec-Fetch-Site and Origin
   * on every POST; a request with neither (curl, a test) still needs the CSRF token.
   */
  private static String crossSite(ContainerRequestContext request) {
    String site = request.getHeaderString("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      return "Refused a cross-site request (Sec-Fetch-Site: " + site + ").";
    }
    String origin = request.getHeaderString("Origin");
    if (origin != null) {
      URI base = request.getUriInfo().getBaseUri();
      String own = base.getScheme() + "://" + base.getAuthority();
      String host = request.getHeaderString(HttpHeaders.HOST);
      boolean same =
          origin.equals(own)
              || (host != null
                  && (origin.equals("http://" + host) || origin.equals("https://" + host)));
      if (!same) {
        return "Refused a request from another origin (" + origin + ").";
      }
    }
    return null;
  }

  /** htmx (hx-headers on the page's body) and the console's script send it as a header. */
  private static String csrfOf(ContainerRequestContext request) {
    return request.getHeaderString(ConsoleSessions.CSRF_HEADER);
  }

  private static Response toLogin(ContainerRequestContext request) {
    if (request.getHeaderString("HX-Request") != null) {
      // htmx follows a redirect inside the fragment; tell it to load the sign-in page instead
      return Response.status(Response.Status.UNAUTHORIZED)
          .header("HX-Redirect", LoginResource.LOGIN)
          .build();
    }
    return Response.seeOther(URI.create(LoginResource.LOGIN)).build();
  }
}
