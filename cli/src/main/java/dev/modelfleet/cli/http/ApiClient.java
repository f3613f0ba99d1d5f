package dev.modelfleet.cli.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.output.Text;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * The admin REST API over {@link HttpClient}: JSON in and out, errors turned into {@link
 * ApiException} (problem+json) or an unreachable-server {@link CliException}, lists followed page
 * by page, uploads streamed with progress, the rollout change stream.
 */
public final class ApiClient {

  /** Most list endpoints give at most 1,000 items a page; 500 keeps the first rows quick. */
  public static final int PAGE_SIZE = 500;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);
  private static final int MAX_ERROR_BODY = 64 * 1024;
  private static final Pattern NEXT_LINK =
      Pattern.compile("<([^>]*)>\\s*;(?:[^,]*;)?\\s*rel=\"?next\"?", Pattern.CASE_INSENSITIVE);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Connection connection;
  private final HttpClient http;
  private final String userAgent;

  public ApiClient(Connection connection, String version) {
    this.connection = connection;
    this.userAgent = "modelfleet-cli/" + version;
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            // a redirect could carry the token elsewhere; the API never redirects
            .followRedirects(HttpClient.Redirect.NEVER);
    if (connection.caPem() != null) {
      builder.sslContext(Tls.trusting(connection.caPem(), "of context " + connection.context()));
    }
    this.http = builder.build();
  }

  public Connection connection() {
    return connection;
  }

  public JsonNode get(ApiPath path) {
    return json(request(path).GET(), REQUEST_TIMEOUT).body();
  }

  /** A GET whose 404 means "none" rather than an error (a draft, a policy). */
  public Optional<JsonNode> find(ApiPath path) {
    try {
      return Optional.of(get(path));
    } catch (ApiException e) {
      if (e.status() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** A POST with a JSON body (an object, a {@link JsonNode}, or null for none). */
  public JsonNode post(ApiPath path, Object body) {
    return json(withBody(request(path), "POST", body), REQUEST_TIMEOUT).body();
  }

  public JsonNode put(ApiPath path, Object body) {
    return json(withBody(request(path), "PUT", body), REQUEST_TIMEOUT).body();
  }

  /** A DELETE; a {@code 204} answers a missing node. */
  public JsonNode delete(ApiPath path) {
    return json(request(path).DELETE(), REQUEST_TIMEOUT).body();
  }

  /** A text document ({@code root.pem}, the fleet CA). */
  public String text(ApiPath path) {
    HttpResponse<InputStream> response =
        send(
            request(path).setHeader("Accept", "application/x-pem-file, text/plain, */*").GET(),
            REQUEST_TIMEOUT);
    try (InputStream body = response.body()) {
      if (response.statusCode() >= 400) {
        throw problem(response.statusCode(), body);
      }
      return new String(body.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw lost(e);
    }
  }

  /** A document outside the API (health), sent without the token. */
  public Response openJson(ApiPath path) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path.toString()))
            .header("Accept", "application/json")
            .header("User-Agent", userAgent);
    HttpResponse<InputStream> response = send(request.GET(), REQUEST_TIMEOUT);
    try (InputStream body = response.body()) {
      byte[] bytes = body.readNBytes(4 * 1024 * 1024);
      JsonNode node;
      try {
        node = bytes.length == 0 ? MissingNode.getInstance() : JSON.readTree(bytes);
      } catch (JsonProcessingException e) {
        throw notModelFleet(response);
      }
      return new Response(response.statusCode(), node, null);
    } catch (IOException e) {
      throw lost(e);
    }
  }

  /**
   * Every item of a list, page by page: {@code page} is called with each page as it arrives,
   * following the {@code Link: <...>; rel="next"} header until there is none or {@code max} items
   * (0: no limit) were given.
   *
   * @return how many items were given
   */
  public long forEachPage(ApiPath first, int pageSize, long max, Consumer<List<JsonNode>> page) {
    ApiPath path = first.query("limit", max > 0 ? Math.min(pageSize, max) : pageSize);
    Set<String> seen = new HashSet<>();
    long given = 0;
    while (path != null) {
      if (!seen.add(path.toString())) {
        throw new CliException(
            ExitCode.SERVER_ERROR,
            "the server's next page link repeats a page it gave already (" + path + ")",
            "a server fault: report it with the server's version (modelfleet status)");
      }
      Response response = json(request(path).GET(), REQUEST_TIMEOUT);
      if (!response.body().isArray()) {
        throw new CliException(
            ExitCode.SERVER_ERROR,
            "the server answered " + path + " with something other than a list",
            "check that this command line and the server are of one release (modelfleet status)");
      }
      List<JsonNode> items = new ArrayList<>();
      for (JsonNode item : response.body()) {
        if (max > 0 && given + items.size() >= max) {
          break;
        }
        items.add(item);
      }
      given += items.size();
      page.accept(items);
      path = max > 0 && given >= max ? null : next(response.link());
    }
    return given;
  }

  /** The path of a {@code rel="next"} link, refused when it leads to another server. */
  ApiPath next(String link) {
    if (link == null) {
      return null;
    }
    Matcher m = NEXT_LINK.matcher(link);
    if (!m.find()) {
      return null;
    }
    String target = m.group(1).trim();
    URI resolved = connection.server().resolve(target);
    URI server = connection.server();
    boolean sameServer =
        server.getScheme().equalsIgnoreCase(String.valueOf(resolved.getScheme()))
            && server.getHost().equalsIgnoreCase(String.valueOf(resolved.getHost()))
            && server.getPort() == resolved.getPort();
    if (!sameServer || !String.valueOf(resolved.getRawPath()).startsWith("/api/")) {
      throw new CliException(
          ExitCode.SERVER_ERROR,
          "the server's next page link leads elsewhere ("
              + Text.printable(target)
              + "); not followed, the token stays with "
              + server,
          null);
    }
    String query = resolved.getRawQuery();
    return ApiPath.given(resolved.getRawPath() + (query == null ? "" : "?" + query));
  }

  /**
   * Uploads a file as {@code application/octet-stream}, streamed from disk, telling {@code
   * listener} how far it got.
   */
  public JsonNode upload(ApiPath path, Path file, TransferListener listener) {
    CountingBodyPublisher body;
    try {
      body = new CountingBodyPublisher(file, listener);
    } catch (FileNotFoundException e) {
      throw CliException.usage("cannot read " + file + ": " + e.getMessage(), null);
    }
    HttpRequest.Builder request =
        request(path).header("Content-Type", "application/octet-stream").POST(body);
    return json(request, null).body();
  }

  /**
   * POSTs {@code body} as JSON and streams the answer (a file the server makes, such as an offline
   * bundle) into {@code target}, through a temporary file beside it that is moved into place only
   * once whole: an interrupted download leaves no half file under the name. Returns the response
   * headers.
   */
  public java.net.http.HttpHeaders download(
      ApiPath path, Object body, Path target, TransferListener listener) {
    HttpRequest.Builder request =
        withBody(
            request(path).setHeader("Accept", "application/x-tar, application/json"), "POST", body);
    HttpResponse<InputStream> response = send(request, null);
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try (InputStream in = response.body()) {
      if (response.statusCode() >= 400) {
        throw problem(response.statusCode(), in);
      }
      long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      listener.started(total);
      long done = 0;
      try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(partial)) {
        byte[] buffer = new byte[256 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          done += n;
          listener.sent(done);
        }
      }
      if (total >= 0 && done != total) {
        throw new IOException("the server sent " + done + " of " + total + " bytes");
      }
      java.nio.file.Files.move(
          partial,
          target,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return response.headers();
    } catch (IOException e) {
      try {
        java.nio.file.Files.deleteIfExists(partial);
      } catch (IOException ignored) {
        // best effort: the next run replaces it
      }
      throw lost(e);
    }
  }

  /**
   * Opens a server-sent event stream. The caller reads its events and closes it; see {@link
   * EventStream}.
   */
  public EventStream events(ApiPath path, String lastEventId) {
    HttpRequest.Builder request = request(path).setHeader("Accept", "text/event-stream");
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    return EventStream.open(this, http, request.GET().build());
  }

  /** A response read as JSON, with its {@code Link} header. */
  public record Response(int status, JsonNode body, String link) {}

  private HttpRequest.Builder request(ApiPath path) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path.toString()))
            .header("Accept", "application/json")
            .header("User-Agent", userAgent);
    // no token yet: reading how to sign in (login --oidc)
    return connection.token() == null
        ? request
        : request.header("Authorization", "Bearer " + connection.token());
  }

  private URI uri(String pathAndQuery) {
    String base = connection.server().toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + pathAndQuery);
  }

  private static HttpRequest.Builder withBody(
      HttpRequest.Builder request, String method, Object body) {
    if (body == null) {
      return request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      return request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + body, e);
    }
  }

  private Response json(HttpRequest.Builder request, Duration timeout) {
    HttpResponse<InputStream> response = send(request, timeout);
    try (InputStream body = response.body()) {
      if (response.statusCode() >= 400) {
        throw problem(response.statusCode(), body);
      }
      String link = String.join(", ", response.headers().allValues("Link"));
      if (response.statusCode() == 204) {
        return new Response(204, MissingNode.getInstance(), link.isEmpty() ? null : link);
      }
      String type = response.headers().firstValue("Content-Type").orElse("");
      if (!type.contains("json")) {
        throw notModelFleet(response);
      }
      JsonNode node;
      try {
        node = JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw notModelFleet(response);
      }
      return new Response(
          response.statusCode(),
          node == null ? MissingNode.getInstance() : node,
          link.isEmpty() ? null : link);
    } catch (IOException e) {
      throw lost(e);
    }
  }

  HttpResponse<InputStream> send(HttpRequest.Builder request, Duration timeout) {
    if (timeout != null) {
      request.timeout(timeout);
    }
    try {
      HttpResponse<InputStream> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() / 100 == 3) {
        response.body().close();
        throw redirected(response);
      }
      return response;
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCode.INTERNAL, "interrupted", null, e);
    }
  }

  /** A problem+json body as an {@link ApiException}; another body as its first line. */
  ApiException problem(int status, InputStream body) {
    String text;
    try {
      text = new String(body.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
    } catch (IOException e) {
      text = "";
    }
    String code = null;
    String detail = null;
    try {
      JsonNode problem = JSON.readTree(text);
      if (problem != null && problem.isObject()) {
        code = problem.path("code").isTextual() ? problem.path("code").asText() : null;
        detail =
            problem.path("detail").isTextual()
                ? problem.path("detail").asText()
                : problem.path("title").isTextual() ? problem.path("title").asText() : null;
      }
    } catch (JsonProcessingException e) {
      // not JSON: a proxy's page, say
    }
    if (detail == null) {
      String first = text.strip().lines().findFirst().orElse("");
      detail =
          first.isEmpty()
              ? "the server answered HTTP " + status + " without a reason"
              : "the server answered: " + Text.fit(first, 200);
    }
    return new ApiException(
        status,
        code == null ? null : Text.printable(code),
        Text.printable(detail),
        Hints.forProblem(code, status));
  }

  private CliException notModelFleet(HttpResponse<?> response) {
    return new CliException(
        ExitCode.UNREACHABLE,
        connection.server()
            + " answered "
            + response.uri().getRawPath()
            + " with "
            + response.headers().firstValue("Content-Type").orElse("no content type")
            + ", not the JSON of a ModelFleet server",
        "check the server URL: modelfleet config get-contexts (or MODELFLEET_SERVER)");
  }

  /**
   * The API never redirects; a server whose plain HTTP port sends clients to HTTPS
   * (QUARKUS_HTTP_INSECURE_REQUESTS=redirect) does. Not followed: the token stays where it was
   * meant to go.
   */
  private CliException redirected(HttpResponse<?> response) {
    String location = response.headers().firstValue("Location").orElse("");
    URI target = location.isEmpty() ? null : response.uri().resolve(location);
    if (target != null && "https".equals(target.getScheme())) {
      String origin = target.getScheme() + "://" + target.getRawAuthority();
      return new CliException(
          ExitCode.UNREACHABLE,
          connection.server() + " sends its clients to HTTPS (" + origin + ")",
          "log in with --server "
              + origin
              + " (and --ca CERT.pem when a private CA issued its certificate)");
    }
    return new CliException(
        ExitCode.UNREACHABLE,
        connection.server()
            + " answered "
            + response.uri().getRawPath()
            + " with a redirect"
            + (target == null ? "" : " to " + target)
            + ", which a ModelFleet server's API never does",
        "check the server URL: modelfleet config get-contexts (or MODELFLEET_SERVER)");
  }

  CliException unreachable(IOException e) {
    String server = connection.server().toString();
    SSLException tls = cause(e, SSLException.class);
    if (tls != null) {
      String reason = tls.getMessage() == null ? tls.getClass().getSimpleName() : tls.getMessage();
      String hint =
          reason.contains("PKIX") || reason.contains("certification path")
              ? "the server's certificate is not signed by a CA this machine trusts: pass the CA"
                  + " with modelfleet login --ca FILE (or MODELFLEET_CA=FILE)"
              : reason.contains("subject alternative") || reason.contains("No name matching")
                  ? "the server's certificate does not name this host: use the name it was issued"
                      + " for in the server URL"
                  : tls instanceof SSLHandshakeException
                      ? "check that the URL's port speaks TLS (https) and that the CA is right"
                      : null;
      return new CliException(
          ExitCode.UNREACHABLE, "TLS with " + server + " failed: " + reason, hint, e);
    }
    if (e instanceof HttpConnectTimeoutException) {
      return new CliException(
          ExitCode.UNREACHABLE,
          "cannot reach " + server + ": no answer within " + CONNECT_TIMEOUT.toSeconds() + " s",
          "check the server URL and the network (firewall, VPN)",
          e);
    }
    if (e instanceof HttpTimeoutException) {
      return new CliException(
          ExitCode.UNREACHABLE,
          server + " did not answer within " + REQUEST_TIMEOUT.toMinutes() + " minutes",
          "the server may be overloaded: check modelfleet status",
          e);
    }
    if (cause(e, UnresolvedAddressException.class) != null
        || cause(e, UnknownHostException.class) != null) {
      return new CliException(
          ExitCode.UNREACHABLE,
          "cannot reach " + server + ": unknown host " + connection.server().getHost(),
          "check the server URL: modelfleet config get-contexts (or MODELFLEET_SERVER)",
          e);
    }
    if (e instanceof ConnectException || cause(e, ConnectException.class) != null) {
      return new CliException(
          ExitCode.UNREACHABLE,
          "cannot reach " + server + ": connection refused",
          "check the server URL and that the server is running (modelfleet config"
              + " get-contexts shows the URL)",
          e);
    }
    return lost(e);
  }

  CliException lost(IOException e) {
    return new CliException(
        ExitCode.UNREACHABLE,
        "the connection to "
            + connection.server()
            + " failed: "
            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
        "check the network and the server, then try again",
        e);
  }

  private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
