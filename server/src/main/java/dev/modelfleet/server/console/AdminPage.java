package dev.modelfleet.server.console;

import dev.modelfleet.server.access.ApiTokenService;
import dev.modelfleet.server.audit.AuditLog;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.signing.TrustResource;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Clock;

/**
 * Trust (everyone may read it, as GET /api/v1/trust/root), and the admin-only access tokens and
 * audit log; all read-only: changes to them stay with the CLI and the API.
 */
@Path("/console")
@Produces(MediaType.TEXT_HTML)
public class AdminPage {

  private static final int AUDIT_SHOWN = 200;

  @Inject
  @Location("console/trust.html")
  Template trust;

  @Inject
  @Location("console/access.html")
  Template access;

  @Inject
  @Location("console/audit.html")
  Template audit;

  @Inject ConsoleUser user;
  @Inject TrustResource root;
  @Inject ApiTokenService tokens;
  @Inject AuditLog log;
  @Inject Clock clock;

  @GET
  @Path("/trust")
  public TemplateInstance trust() {
    return trust
        .data("user", user)
        .data("nav", "trust")
        .data("root", root.root())
        .data("fmt", new Formats(clock));
  }

  @GET
  @Path("/access")
  public Response access() {
    if (!user.isAdmin()) {
      return adminsOnly();
    }
    return Response.ok(
            access
                .data("user", user)
                .data("nav", "access")
                .data("tokens", tokens.list(PageRequest.first(PageRequest.MAX_LIMIT)).items())
                .data("fmt", new Formats(clock)))
        .build();
  }

  @GET
  @Path("/audit")
  public Response audit() {
    if (!user.isAdmin()) {
      return adminsOnly();
    }
    return Response.ok(
            audit
                .data("user", user)
                .data("nav", "audit")
                .data("entries", log.find(null, null, PageRequest.first(AUDIT_SHOWN)).items())
                .data("fmt", new Formats(clock)))
        .build();
  }

  private static Response adminsOnly() {
    return ConsolePages.refused(
        Response.Status.FORBIDDEN, "Only role admin may see access tokens and the audit log.");
  }
}
