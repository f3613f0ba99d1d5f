package dev.modelfleet.server.common;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Requires the admin bearer token on everything under /api. Pre-matching, so that an unknown
 * path under /api is refused as unauthenticated rather than revealed as missing.
 */
public class AdminAuthFilter {

  private static final String BEARER = "Bearer ";

  private final byte[] adminToken;

  public AdminAuthFilter(ModelFleetConfig config) {
    this.adminToken = config.adminToken().getBytes(StandardCharsets.UTF_8);
  }

  @ServerRequestFilter(preMatching = true)
  public Response authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("/api/") && !path.equals("/api")) {
      return null;
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.startsWith(BEARER)) {
      return Problem.response(
          ApiError.UNAUTHENTICATED, "Send the admin token as 'Authorization: Bearer <token>'.");
    }
    byte[] presented = header.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(presented, adminToken)) {
      return Problem.response(ApiError.UNAUTHENTICATED, "The admin token is not valid.");
    }
    return null;
  }
}
