package dev.modelfleet.server.common;

import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * The paging query parameters every growing list takes ({@code @BeanParam}), and the answer: the
 * page's items as a JSON array and, when more may follow, {@code Link: <...>; rel="next"}.
 */
public class PageParams {

  /**
   * The description of a paged list's answer; {@link OpenApiDocument} adds the {@code Link} header
   * to every operation that takes {@code after}.
   */
  public static final String ONE_PAGE =
      "One page; a Link header with rel=\"next\" when more may follow (see docs/api.md#pagination)";

  @QueryParam("limit")
  @Parameter(
      description = "How many items at most (1 to 1000, default 100).",
      schema =
          @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "1000", defaultValue = "100"))
  String limit;

  @QueryParam("after")
  @Parameter(
      description =
          "The cursor of the page to give, from the previous page's Link rel=\"next\" header;"
              + " leave it out for the first page. Opaque: do not build one.")
  String after;

  public PageRequest request() {
    return PageRequest.of(limit, after);
  }

  /**
   * The page as a JSON array, with a {@code Link} to the next page when there is one: the request's
   * own path and query with {@code after} replaced, relative, so it holds behind a proxy too.
   */
  public static <T> RestResponse<List<T>> response(Page<T> page, UriInfo uri) {
    RestResponse.ResponseBuilder<List<T>> answer = RestResponse.ResponseBuilder.ok(page.items());
    if (page.next() != null) {
      URI next = uri.getRequestUriBuilder().replaceQueryParam("after", page.next()).build();
      answer.header(
          HttpHeaders.LINK, "<" + next.getRawPath() + "?" + next.getRawQuery() + ">; rel=\"next\"");
    }
    return answer.build();
  }
}
