package dev.modelfleet.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.access.AccessPolicy;
import dev.modelfleet.server.access.Identity;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import java.lang.reflect.Method;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Records every call under /api that is not a read, once its response is known: refused ones too.
 * Unauthenticated calls are counted per source address and written once per window ({@link
 * RefusedRequests}); every other call gets an entry of its own. The response waits for that entry
 * to be written, so a change a client saw succeed is in the log. Where the call's path names a
 * resource ({@link AuditedResources}), its state is read just before the call runs and again after
 * it succeeded, and the entry keeps what differs. Those reads are outside the call's transaction: a
 * change committed by someone else in between would show in the entry too, which errs on the side
 * of saying more.
 */
public class AuditFilter {

  private static final Logger LOG = Logger.getLogger(AuditFilter.class);
  private static final String REMOTE = "modelfleet.audit.remote";
  private static final String READER = "modelfleet.audit.reader";
  private static final String BEFORE = "modelfleet.audit.before";

  private final AuditLog log;
  private final RefusedRequests refusals;
  private final AuditedResources resources;
  private final ObjectMapper json;
  private final Clock clock;

  AuditFilter(
      AuditLog log,
      RefusedRequests refusals,
      AuditedResources resources,
      ObjectMapper json,
      Clock clock) {
    this.log = log;
    this.refusals = refusals;
    this.resources = resources;
    this.json = json;
    this.clock = clock;
  }

  /** Before authentication, so that refused calls also carry where they came from. */
  @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION - 100)
  public void rememberRemote(ContainerRequestContext request, HttpServerRequest http) {
    SocketAddress remote = http.remoteAddress();
    if (remote != null) {
      request.setProperty(
          REMOTE, remote.hostAddress() != null ? remote.hostAddress() : remote.host());
    }
  }

  /**
   * After routing and after the role checks (a refused call reads nothing and records no snapshot),
   * before the resource method: the state the call starts from.
   */
  @ServerRequestFilter(priority = Priorities.USER + 100)
  public Uni<Void> rememberBefore(ContainerRequestContext request, ResourceInfo resource) {
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("/api/")
        || AccessPolicy.isRead(request.getMethod())
        || resource.getResourceMethod() == null) {
      return Uni.createFrom().voidItem();
    }
    AuditedResources.Reader reader = resources.readerFor(template(resource));
    if (reader == null) {
      return Uni.createFrom().voidItem();
    }
    Map<String, String> params = pathParameters(request);
    request.setProperty(READER, reader);
    return Uni.createFrom()
        .item(() -> reader.read(params, null))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        .invoke(
            before -> {
              if (before != null) {
                request.setProperty(BEFORE, before);
              }
            })
        .onFailure()
        .invoke(e -> LOG.warnf(e, "audit: cannot read the state before %s", path))
        .onFailure()
        .recoverWithNull()
        .replaceWithVoid();
  }

  @ServerResponseFilter
  public Uni<Void> record(ContainerRequestContext request, ContainerResponseContext response) {
    String path = request.getUriInfo().getPath();
    if (!(path.startsWith("/api/") || path.equals("/api"))
        || AccessPolicy.isRead(request.getMethod())) {
      return Uni.createFrom().voidItem();
    }
    AuditEntry entry;
    try {
      entry = entry(request, response, path);
    } catch (RuntimeException e) {
      LOG.error("cannot describe a request for the audit log", e);
      return Uni.createFrom().voidItem();
    }
    if (entry.actor() == null) {
      // anyone who reaches the port can make these: counted, not written one by one
      refusals.count(entry);
      return Uni.createFrom().voidItem();
    }
    AuditedResources.Reader reader = (AuditedResources.Reader) request.getProperty(READER);
    JsonNode before = (JsonNode) request.getProperty(BEFORE);
    Map<String, String> params = reader == null ? Map.of() : pathParameters(request);
    return Uni.createFrom()
        .item(
            () -> {
              // a call that failed changed nothing (its transaction rolled back): no snapshots
              AuditEntry complete =
                  reader == null || entry.status() >= 400
                      ? entry
                      : entry.withChange(ResourceChange.of(before, after(reader, params, entry)));
              log.append(complete);
              return complete;
            })
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        .onFailure()
        .invoke(e -> LOG.errorf(e, "audit entry lost: %s", entry))
        .onFailure()
        .recoverWithNull()
        .replaceWithVoid();
  }

  private AuditEntry entry(
      ContainerRequestContext request, ContainerResponseContext response, String path) {
    Identity caller = (Identity) request.getProperty(Identity.PROPERTY);
    int status = response.getStatus();
    Object body = request.getProperty(AuditBodyCapture.PROPERTY);
    return new AuditEntry(
        null,
        clock.instant(),
        caller == null ? null : caller.name(),
        caller == null || caller.role() == null ? null : caller.role().wire(),
        (String) request.getProperty(REMOTE),
        request.getMethod(),
        path,
        status,
        target(request),
        status < 400 ? resourceId(response) : null,
        body == null ? null : RequestBodies.forAudit(json.valueToTree(body)),
        AuditEntry.outcome(status),
        null,
        null,
        1);
  }

  private JsonNode after(
      AuditedResources.Reader reader, Map<String, String> params, AuditEntry entry) {
    try {
      return reader.read(params, entry.resourceId());
    } catch (RuntimeException e) {
      LOG.warnf(e, "audit: cannot read the state after %s %s", entry.method(), entry.path());
      return null;
    }
  }

  /** The matched endpoint's path template, as the OpenAPI document writes it. */
  static String template(ResourceInfo resource) {
    jakarta.ws.rs.Path type = resource.getResourceClass().getAnnotation(jakarta.ws.rs.Path.class);
    Method method = resource.getResourceMethod();
    jakarta.ws.rs.Path sub = method.getAnnotation(jakarta.ws.rs.Path.class);
    String joined = (type == null ? "" : type.value()) + "/" + (sub == null ? "" : sub.value());
    joined = joined.replaceAll("/+", "/");
    return joined.length() > 1 && joined.endsWith("/")
        ? joined.substring(0, joined.length() - 1)
        : joined;
  }

  private static Map<String, String> pathParameters(ContainerRequestContext request) {
    Map<String, String> params = new HashMap<>();
    try {
      request
          .getUriInfo()
          .getPathParameters()
          .forEach(
              (name, values) -> {
                if (!values.isEmpty()) {
                  params.put(name, values.get(0));
                }
              });
    } catch (RuntimeException e) {
      // not routed: no parameters
    }
    return params;
  }

  /** What the path names, e.g. "id=3f2a..." or "name=resnet,version=1.2.0". */
  private static String target(ContainerRequestContext request) {
    Map<String, List<String>> params;
    try {
      params = request.getUriInfo().getPathParameters();
    } catch (RuntimeException e) {
      return null; // refused before routing: no parameters were matched
    }
    if (params == null || params.isEmpty()) {
      return null;
    }
    StringJoiner joined = new StringJoiner(",");
    params.forEach((name, values) -> joined.add(name + "=" + String.join("|", values)));
    return joined.toString();
  }

  /**
   * The id of what the call created or changed: the answer's "id", else the Location's last part.
   */
  private String resourceId(ContainerResponseContext response) {
    Object entity = response.getEntity();
    String id =
        entity == null || entity instanceof CharSequence || entity instanceof byte[]
            ? null
            : idOf(entity);
    if (id != null) {
      return id;
    }
    String location = response.getHeaderString(HttpHeaders.LOCATION);
    return location == null || location.isEmpty()
        ? null
        : location.substring(location.lastIndexOf('/') + 1);
  }

  private String idOf(Object entity) {
    try {
      JsonNode tree = json.valueToTree(entity);
      if (tree.hasNonNull("id") && tree.get("id").isValueNode()) {
        return tree.get("id").asText();
      }
      // wrapped answers such as {"token": ..., "apiToken": {"id": ...}}: only ids are taken
      for (JsonNode child : tree) {
        if (child.isObject() && child.hasNonNull("id") && child.get("id").isValueNode()) {
          return child.get("id").asText();
        }
      }
    } catch (IllegalArgumentException e) {
      // an answer that is not a JSON object names no resource
    }
    return null;
  }
}
