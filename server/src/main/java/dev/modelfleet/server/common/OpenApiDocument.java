package dev.modelfleet.server.common;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * Completes the OpenAPI document ({@code /q/openapi}) with what holds for every operation, so the
 * resources declare only what is theirs (summary, success response): the bearer schemes and which
 * operations need which, and the problem+json errors with their stable codes ({@link ApiError}).
 * Registered as {@code mp.openapi.filter}.
 */
public class OpenApiDocument implements OASFilter {

  /** The admin API's scheme: an API token, the bootstrap token, or an OpenID Connect JWT. */
  public static final String ADMIN = "adminToken";

  /** The agent's HTTP download: the device credential it enrolled with. */
  public static final String DEVICE = "deviceCredential";

  static final String PROBLEM = "Problem";

  /** What a client reads before it has a token (how to sign in): no security requirement. */
  public static final String PUBLIC = "/auth/";

  @Override
  public void filterOpenAPI(OpenAPI openApi) {
    if (openApi.getComponents() == null) {
      openApi.setComponents(OASFactory.createComponents());
    }
    openApi
        .getComponents()
        .addSecurityScheme(
            ADMIN,
            OASFactory.createSecurityScheme()
                .type(SecurityScheme.Type.HTTP)
                .scheme("bearer")
                .description(
                    "An API token (mft_...), the bootstrap admin token, or an OpenID Connect"
                        + " access token (docs/security.md)."))
        .addSecurityScheme(
            DEVICE,
            OASFactory.createSecurityScheme()
                .type(SecurityScheme.Type.HTTP)
                .scheme("bearer")
                .description("The device credential an agent got when it enrolled."))
        .addSchema(PROBLEM, problemSchema());
    if (openApi.getPaths() == null || openApi.getPaths().getPathItems() == null) {
      return;
    }
    openApi
        .getPaths()
        .getPathItems()
        .forEach(
            (path, item) ->
                item.getOperations()
                    .forEach((method, operation) -> complete(path, method, operation)));
  }

  private static void complete(String path, PathItem.HttpMethod method, Operation operation) {
    if (path.startsWith(PUBLIC)) {
      operation.setSecurity(List.of()); // stated: no token at all
      return;
    }
    String scheme = path.startsWith("/api/") ? ADMIN : path.startsWith("/agent/") ? DEVICE : null;
    if (scheme == null) {
      return;
    }
    operation.setSecurity(List.of(OASFactory.createSecurityRequirement().addScheme(scheme)));
    APIResponses responses = operation.getResponses();
    if (responses == null) {
      responses = OASFactory.createAPIResponses();
      operation.setResponses(responses);
    }
    if (takesQuery(operation, "after")) {
      declareNextLink(responses);
    }
    boolean takesInput =
        method != PathItem.HttpMethod.GET
            || (operation.getParameters() != null
                && operation.getParameters().stream()
                    .anyMatch(p -> p.getIn() != null && p.getIn().toString().equals("query")));
    if (takesInput) {
      addError(responses, 400, codesOf(400));
    }
    addError(
        responses, 401, "unauthenticated: no token, or one that is unknown, expired or revoked");
    addError(responses, 403, "forbidden: the token's role may not do this");
    if (path.contains("{")) {
      addError(responses, 404, "not-found: nothing has that id or name");
    }
    if (method != PathItem.HttpMethod.GET) {
      addError(responses, 409, codesOf(409));
    }
    if (method == PathItem.HttpMethod.POST || method == PathItem.HttpMethod.PUT) {
      addError(responses, 415, codesOf(415));
    }
    addError(responses, 500, codesOf(500));
  }

  private static boolean takesQuery(Operation operation, String name) {
    return operation.getParameters() != null
        && operation.getParameters().stream()
            .anyMatch(
                p ->
                    name.equals(p.getName())
                        && p.getIn() != null
                        && p.getIn().toString().equals("query"));
  }

  /** A paged list answers with a Link to its next page (see {@link PageParams}). */
  private static void declareNextLink(APIResponses responses) {
    APIResponse ok = responses.getAPIResponse("200");
    if (ok == null || (ok.getHeaders() != null && ok.getHeaders().containsKey("Link"))) {
      return;
    }
    ok.addHeader(
        "Link",
        OASFactory.createHeader()
            .description("<path?...&after=CURSOR>; rel=\"next\"")
            .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))));
  }

  private static void addError(APIResponses responses, int status, String codes) {
    String key = Integer.toString(status);
    if (responses.hasAPIResponse(key)) {
      return;
    }
    responses.addAPIResponse(
        key,
        OASFactory.createAPIResponse()
            .description("application/problem+json; code " + codes + " (docs/api.md#errors)")
            .content(
                OASFactory.createContent()
                    .addMediaType(
                        Problem.MEDIA_TYPE,
                        OASFactory.createMediaType()
                            .schema(
                                OASFactory.createSchema()
                                    .ref("#/components/schemas/" + PROBLEM)))));
  }

  /** The codes answered with this status, e.g. "invalid-request, invalid-name, ...". */
  static String codesOf(int status) {
    return String.join(
        ", ",
        Arrays.stream(ApiError.values())
            .filter(e -> e.httpStatus() == status)
            .map(ApiError::code)
            .toList());
  }

  private static Schema problemSchema() {
    Map<String, Schema> properties = new TreeMap<>();
    properties.put(
        "type",
        OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).example("about:blank"));
    properties.put("title", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)));
    properties.put("status", OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER)));
    properties.put(
        "detail",
        OASFactory.createSchema()
            .type(List.of(Schema.SchemaType.STRING))
            .description("What went wrong and what to do, for a person."));
    properties.put(
        "code",
        OASFactory.createSchema()
            .type(List.of(Schema.SchemaType.STRING))
            .description("The stable code clients branch on.")
            .enumeration(Arrays.stream(ApiError.values()).map(e -> (Object) e.code()).toList()));
    return OASFactory.createSchema()
        .type(List.of(Schema.SchemaType.OBJECT))
        .description("An error, as RFC 9457 application/problem+json with a stable code.")
        .properties(properties)
        .required(List.of("title", "status", "code"));
  }
}
