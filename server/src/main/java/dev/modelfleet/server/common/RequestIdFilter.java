package dev.modelfleet.server.common;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Gives every REST request an id, logged with everything the request logs ({@link
 * LogFields#REQUEST_ID}) and answered in {@code X-Request-Id}, so an operator can find the lines of
 * one call. A caller's own id (from a proxy) is kept when it is a plain token.
 */
public class RequestIdFilter {

  public static final String HEADER = "X-Request-Id";
  // what a proxy sends (uuids, hex, base64url), short enough for a log field; anything else is
  // replaced rather than written into logs
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  // before authentication: a refused call has an id too
  @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION - 100)
  void assign(ContainerRequestContext request) {
    String given = request.getHeaderString(HEADER);
    String id =
        given != null && SAFE.matcher(given).matches() ? given : UUID.randomUUID().toString();
    request.setProperty(LogFields.REQUEST_ID, id);
    MDC.put(LogFields.REQUEST_ID, id);
  }

  @ServerResponseFilter
  void answer(ContainerRequestContext request, ContainerResponseContext response) {
    Object id = request.getProperty(LogFields.REQUEST_ID);
    if (id != null) {
      response.getHeaders().putSingle(HEADER, id);
    }
    MDC.remove(LogFields.REQUEST_ID);
  }
}
