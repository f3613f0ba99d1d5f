package dev.modelfleet.server.access;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.jose4j.json.JsonUtil;
import org.jose4j.lang.JoseException;

/**
 * Where the provider takes people's sign-ins: the authorization and token endpoints of the issuer's
 * discovery document, read when first needed and again after the JWKS refresh interval. The
 * document must name the configured issuer, and each endpoint must be https (http only to this
 * host), as for the keys: whoever answers at the token endpoint decides who signs in.
 */
public final class OidcEndpoints {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final int MAX_CHARS = 256 * 1024;

  /** The two endpoints the console's code flow needs. */
  public record Endpoints(String authorization, String token) {}

  private final String issuer;
  private final long refreshNanos;
  private final HttpClient http;
  private Endpoints endpoints; // guarded by this
  private long readAt; // guarded by this

  OidcEndpoints(String issuer, Duration refresh, HttpClient http) {
    this.issuer = issuer;
    this.refreshNanos = refresh.toNanos();
    this.http = http;
  }

  /** The endpoints, read from the discovery document unless read recently. */
  public synchronized Endpoints get() throws IOException {
    if (endpoints == null || System.nanoTime() - readAt > refreshNanos) {
      endpoints = discover();
      readAt = System.nanoTime();
    }
    return endpoints;
  }

  private Endpoints discover() throws IOException {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/.well-known/openid-configuration"))
            .timeout(TIMEOUT)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (response.statusCode() != 200 || response.body().length() > MAX_CHARS) {
      throw new IOException(
          "the provider's discovery document answered HTTP " + response.statusCode());
    }
    Map<String, Object> document;
    try {
      document = JsonUtil.parseJson(response.body());
    } catch (JoseException e) {
      throw new IOException("the provider's discovery document is not JSON", e);
    }
    if (!issuer.equals(document.get("issuer"))) {
      throw new IOException(
          "the discovery document names issuer '" + document.get("issuer") + "', not " + issuer);
    }
    return new Endpoints(
        endpoint(document, "authorization_endpoint"), endpoint(document, "token_endpoint"));
  }

  private static String endpoint(Map<String, Object> document, String name) throws IOException {
    if (!(document.get(name) instanceof String url)) {
      throw new IOException("the discovery document names no " + name);
    }
    try {
      return JwksKeys.checkedUrl(url, "the discovery document's " + name);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }
}
