package dev.modelfleet.server.access;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.net.URI;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Test only: routes {@code /unchecked-route/**} to {@code /api/**} after the pre-matching token
 * check has looked at the path. It stands for any way into an admin resource that the pre-matching
 * check does not see (a path spelling it does not recognise, a URI rewrite by another filter);
 * paths other than its own are left alone.
 */
public class UncheckedRoute {

  static final String PREFIX = "/unchecked-route/";

  @ServerRequestFilter(preMatching = true, priority = Priorities.USER + 1000)
  public void rewrite(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (path.startsWith(PREFIX)) {
      URI uri = request.getUriInfo().getRequestUri();
      request.setRequestUri(uri.resolve("/api/" + path.substring(PREFIX.length())));
    }
  }
}
