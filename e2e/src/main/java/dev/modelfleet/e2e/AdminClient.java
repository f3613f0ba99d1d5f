package dev.modelfleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The admin REST API as an operator's script would use it, over a real socket. */
public final class AdminClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"next\"");
  private final HttpClient http = HttpClient.newHttpClient();
  private final URI base;
  private final String token;

  public AdminClient(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  public JsonNode get(String path) {
    return send(request(path).GET());
  }

  /**
   * Every item of a paged list (docs/api.md#pagination): the pages of {@code path}, 1,000 items
   * each, following {@code Link: <...>; rel="next"} until an answer has none.
   */
  public ArrayNode getAll(String path) {
    ArrayNode all = JSON.createArrayNode();
    String next = path + (path.contains("?") ? "&" : "?") + "limit=1000";
    while (next != null) {
      HttpResponse<String> page = sendRaw(request(next).GET());
      try {
        JSON.readTree(page.body()).forEach(all::add);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + page.body(), e);
      }
      next =
          page.headers().allValues("Link").stream()
              .map(NEXT::matcher)
              .filter(Matcher::find)
              .map(m -> m.group(1))
              .findFirst()
              .orElse(null);
    }
    return all;
  }

  public String getText(String path) {
    return sendRaw(request(path).GET()).body();
  }

  public JsonNode post(String path, Object body) {
    return send(request(path).header("Content-Type", "application/json").POST(jsonBody(body)));
  }

  public JsonNode put(String path, Object body) {
    return send(request(path).header("Content-Type", "application/json").PUT(jsonBody(body)));
  }

  public JsonNode upload(String path, byte[] onnx) {
    return send(
        request(path)
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(onnx)));
  }

  public JsonNode upload(String path, Path onnx) {
    try {
      return send(
          request(path)
              .header("Content-Type", "application/octet-stream")
              .POST(HttpRequest.BodyPublishers.ofFile(onnx)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String query(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token);
  }

  private static HttpRequest.BodyPublisher jsonBody(Object body) {
    try {
      return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonNode send(HttpRequest.Builder request) {
    HttpResponse<String> response = sendRaw(request);
    try {
      return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + response.body(), e);
    }
  }

  private HttpResponse<String> sendRaw(HttpRequest.Builder builder) {
    HttpRequest request = builder.build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() >= 300) {
        throw new ApiException(
            request.method() + " " + request.uri().getPath(),
            response.statusCode(),
            response.body());
      }
      return response;
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A 3xx/4xx/5xx answer, with the problem document the server sent. */
  public static final class ApiException extends RuntimeException {
    private final int status;

    ApiException(String call, int status, String body) {
      super(call + " answered " + status + ": " + body);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }
}
