package dev.modelfleet.cli.oidc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.output.Text;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The OpenID Connect provider as the command line talks to it: its discovery document, the device
 * authorization endpoint and the token endpoint (RFC 8628, RFC 6749), over the JDK's HttpClient
 * with the system's trusted CAs. Every URL must be https, or http to this machine: the token
 * endpoint hands out the credentials.
 */
public final class Provider {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_CHARS = 256 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The endpoints the device flow needs; {@code deviceAuthorization} may be null. */
  public record Endpoints(String deviceAuthorization, String token) {}

  /** The device authorization endpoint's answer. */
  public record DeviceCode(
      String deviceCode,
      String userCode,
      String verificationUri,
      String verificationUriComplete,
      long expiresInSeconds,
      long intervalSeconds) {}

  /** A token endpoint answer: tokens (status 200), or an OAuth error code and description. */
  public record TokenAnswer(JsonNode body, String error, String description) {

    public boolean ok() {
      return error == null;
    }

    public String text(String field) {
      JsonNode value = body.path(field);
      return value.isTextual() && !value.asText().isEmpty() ? value.asText() : null;
    }
  }

  private final String issuer;
  private final HttpClient http;

  public Provider(String issuer) {
    this.issuer = checked(issuer, "the server's OpenID Connect issuer");
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public String issuer() {
    return issuer;
  }

  /** The endpoints of {@code <issuer>/.well-known/openid-configuration}. */
  public Endpoints discover() {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    String url = base + "/.well-known/openid-configuration";
    HttpResponse<String> response =
        send(HttpRequest.newBuilder(URI.create(url)).GET(), "its discovery document");
    JsonNode document = parse(response, "its discovery document");
    if (response.statusCode() != 200) {
      throw new CliException(
          ExitCode.REFUSED,
          "the OpenID Connect provider answered HTTP "
              + response.statusCode()
              + " for its discovery document "
              + url,
          "check modelfleet.oidc.issuer on the server: it must be the provider's issuer URL");
    }
    if (!issuer.equals(document.path("issuer").asText())) {
      throw new CliException(
          ExitCode.REFUSED,
          "the discovery document names issuer '"
              + Text.printable(document.path("issuer").asText())
              + "', not "
              + issuer,
          "the server's modelfleet.oidc.issuer must be exactly the provider's issuer URL");
    }
    String token = document.path("token_endpoint").asText(null);
    if (token == null) {
      throw new CliException(
          ExitCode.REFUSED, "the provider's discovery document names no token_endpoint", null);
    }
    String device = document.path("device_authorization_endpoint").asText(null);
    return new Endpoints(
        device == null ? null : checked(device, "the provider's device_authorization_endpoint"),
        checked(token, "the provider's token_endpoint"));
  }

  /** Asks for a device code and the code the person types (RFC 8628 section 3.1). */
  public DeviceCode deviceAuthorization(String endpoint, String clientId, String scope) {
    HttpResponse<String> response =
        send(post(endpoint, Map.of("client_id", clientId, "scope", scope)), "a device code");
    JsonNode body = parse(response, "a device code");
    if (response.statusCode() != 200) {
      throw new CliException(
          ExitCode.REFUSED,
          "the provider refused to start a device sign-in for client "
              + clientId
              + ": "
              + describe(body, response.statusCode()),
          "the provider must allow the device authorization grant for that client"
              + " (modelfleet.oidc.cli-client-id on the server); or log in with --token");
    }
    String deviceCode = body.path("device_code").asText(null);
    String userCode = body.path("user_code").asText(null);
    String verification = body.path("verification_uri").asText(null);
    if (deviceCode == null || userCode == null || verification == null) {
      throw new CliException(
          ExitCode.REFUSED,
          "the provider's device authorization answer lacks device_code, user_code or"
              + " verification_uri",
          null);
    }
    return new DeviceCode(
        deviceCode,
        userCode,
        verification,
        body.path("verification_uri_complete").asText(null),
        body.path("expires_in").asLong(600),
        Math.max(1, body.path("interval").asLong(5)));
  }

  /** One poll of the token endpoint for the device code. */
  public TokenAnswer pollDeviceCode(String endpoint, String clientId, String deviceCode) {
    return token(
        endpoint,
        Map.of(
            "grant_type", "urn:ietf:params:oauth:grant-type:device_code",
            "device_code", deviceCode,
            "client_id", clientId));
  }

  /** Exchanges a refresh token for a new access token. */
  public TokenAnswer refresh(String endpoint, String clientId, String refreshToken) {
    return token(
        endpoint,
        Map.of(
            "grant_type", "refresh_token", "refresh_token", refreshToken, "client_id", clientId));
  }

  private TokenAnswer token(String endpoint, Map<String, String> form) {
    HttpResponse<String> response = send(post(endpoint, form), "a token");
    JsonNode body = parse(response, "a token");
    if (response.statusCode() == 200 && body.path("access_token").isTextual()) {
      return new TokenAnswer(body, null, null);
    }
    String error = body.path("error").asText("");
    return new TokenAnswer(
        body,
        error.isEmpty() ? "http_" + response.statusCode() : error,
        body.path("error_description").asText(null));
  }

  private static String describe(JsonNode body, int status) {
    String error = body.path("error").asText("");
    String description = body.path("error_description").asText("");
    return Text.printable(
        (error.isEmpty() ? "HTTP " + status : error)
            + (description.isEmpty() ? "" : " (" + description + ")"));
  }

  private HttpRequest.Builder post(String endpoint, Map<String, String> form) {
    String body =
        form.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    return HttpRequest.newBuilder(URI.create(endpoint))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private HttpResponse<String> send(HttpRequest.Builder request, String what) {
    try {
      HttpResponse<String> response =
          http.send(
              request.timeout(TIMEOUT).header("Accept", "application/json").build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.body().length() > MAX_CHARS) {
        throw new CliException(
            ExitCode.REFUSED,
            "the OpenID Connect provider's answer for " + what + " is too large",
            null);
      }
      return response;
    } catch (IOException e) {
      throw new CliException(
          ExitCode.UNREACHABLE,
          "cannot reach the OpenID Connect provider "
              + issuer
              + " for "
              + what
              + ": "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
          "check that this machine can reach the provider (proxy, VPN), then log in again",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCode.INTERNAL, "interrupted", null, e);
    }
  }

  private JsonNode parse(HttpResponse<String> response, String what) {
    try {
      JsonNode node = JSON.readTree(response.body());
      return node == null ? JSON.createObjectNode() : node;
    } catch (IOException e) {
      if (response.statusCode() == 200) {
        throw new CliException(
            ExitCode.REFUSED,
            "the OpenID Connect provider's answer for " + what + " is not JSON",
            null);
      }
      return JSON.createObjectNode();
    }
  }

  /** https, or http to this machine. */
  static String checked(String url, String what) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new CliException(
          ExitCode.REFUSED, what + " '" + Text.printable(url) + "' is not a URL", null);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() != null
        && (scheme.equals("https") || (scheme.equals("http") && loopback(uri.getHost())))) {
      return url;
    }
    throw new CliException(
        ExitCode.REFUSED,
        what + " '" + Text.printable(url) + "' is not an https URL",
        "the provider must be reached over https (plain http only on this machine): it hands out"
            + " your credentials");
  }

  private static boolean loopback(String host) {
    try {
      return host.equalsIgnoreCase("localhost") || InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
