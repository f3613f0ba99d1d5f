package dev.modelfleet.server.access;

import dev.modelfleet.server.access.ApiTokenService.Authentication;
import dev.modelfleet.server.common.Secrets;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jose4j.json.JsonUtil;
import org.jose4j.lang.JoseException;

/**
 * The console's OpenID Connect sign-in: the authorization-code flow with PKCE (S256), a state and a
 * nonce. {@link #start} makes the three secrets and the provider's authorization URL; the caller
 * keeps them in the browser (a cookie only this server reads) and hands them back with the code to
 * {@link #finish}, which exchanges the code at the token endpoint from the server itself, checks
 * the ID token (signature, issuer, the console's client, the nonce) and the access token exactly as
 * the API checks a bearer token, so the role comes from the same claims. Blocking: call it off the
 * event loop.
 */
@ApplicationScoped
public class OidcCodeFlow {

  private static final Logger LOG = Logger.getLogger(OidcCodeFlow.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_CHARS = 256 * 1024;

  /** The secrets of one sign-in in progress, and where to send the browser. */
  public record Start(String authorizationUrl, String state, String nonce, String verifier) {}

  private final OidcConfig config;
  private final OidcVerifier verifier;
  private final HttpClient http;
  private final OidcEndpoints endpoints;

  OidcCodeFlow(OidcConfig config, OidcVerifier verifier) {
    this.config = config;
    this.verifier = verifier;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.endpoints =
        verifier.enabled()
            ? new OidcEndpoints(config.issuer().get(), config.jwksRefreshInterval(), http)
            : null;
  }

  public boolean enabled() {
    return verifier.enabled();
  }

  /** The issuer's host, for the sign-in button. */
  public String providerName() {
    URI issuer = URI.create(config.issuer().get());
    return issuer.getHost() == null ? config.issuer().get() : issuer.getHost();
  }

  /** Where the provider sends the browser back to, unless configured: this server's callback. */
  public String redirectUri(String scheme, String authority, String callbackPath) {
    return config
        .consoleRedirectUri()
        .filter(uri -> !uri.isBlank())
        .orElse(scheme + "://" + authority + callbackPath);
  }

  /** A new sign-in; throws IOException when the provider's discovery document cannot be read. */
  public Start start(String redirectUri) throws IOException {
    String state = Secrets.newSecret();
    String nonce = Secrets.newSecret();
    String codeVerifier = Secrets.newSecret(); // 43 characters of [A-Za-z0-9_-], as RFC 7636 asks
    Map<String, String> query = new LinkedHashMap<>();
    query.put("response_type", "code");
    query.put("client_id", verifier.consoleClientId());
    query.put("redirect_uri", redirectUri);
    query.put("scope", config.scopes());
    query.put("state", state);
    query.put("nonce", nonce);
    query.put("code_challenge", challenge(codeVerifier));
    query.put("code_challenge_method", "S256");
    String authorization = endpoints.get().authorization();
    String url = authorization + (authorization.contains("?") ? "&" : "?") + form(query);
    return new Start(url, state, nonce, codeVerifier);
  }

  /**
   * The person the code stands for, or why not. The caller has checked the state already; the nonce
   * and code verifier are the ones {@link #start} made for this browser.
   */
  public Authentication finish(String code, String redirectUri, String codeVerifier, String nonce) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("code", code);
    form.put("redirect_uri", redirectUri);
    form.put("client_id", verifier.consoleClientId());
    form.put("code_verifier", codeVerifier);
    config
        .consoleClientSecret()
        .filter(secret -> !secret.isBlank())
        .ifPresent(secret -> form.put("client_secret", secret));
    Map<String, Object> tokens;
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(endpoints.get().token()))
              .timeout(TIMEOUT)
              .header("Content-Type", "application/x-www-form-urlencoded")
              .header("Accept", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(form(form)))
              .build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.body().length() > MAX_CHARS) {
        throw new IOException("an answer of " + response.body().length() + " characters");
      }
      tokens = JsonUtil.parseJson(response.body());
      if (response.statusCode() != 200) {
        LOG.infof(
            "the OpenID Connect provider refused a console sign-in code: HTTP %d %s",
            response.statusCode(), tokens.get("error"));
        return Authentication.refused(
            "The identity provider refused the sign-in code ("
                + tokens.getOrDefault("error", "HTTP " + response.statusCode())
                + "); sign in again.");
      }
    } catch (IOException | JoseException | RuntimeException e) {
      LOG.warnf("cannot exchange a console sign-in code: %s", e.getMessage());
      return Authentication.refused(
          "The identity provider could not be reached to finish the sign-in; try again later.");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Authentication.refused("The sign-in was interrupted; sign in again.");
    }
    if (!(tokens.get("id_token") instanceof String idToken)
        || !(tokens.get("access_token") instanceof String accessToken)) {
      return Authentication.refused(
          "The identity provider answered without an ID token and an access token; ask for the"
              + " 'openid' scope (modelfleet.oidc.scopes).");
    }
    String subject = verifier.verifyIdToken(idToken, nonce);
    if (subject == null) {
      return Authentication.refused(
          "The identity provider's ID token is not valid for this sign-in; sign in again.");
    }
    Authentication person = verifier.verify(accessToken);
    if (person.identity() != null && !subject.equals(OidcVerifier.subject(accessToken))) {
      return Authentication.refused(
          "The identity provider's ID and access tokens name different people; sign in again.");
    }
    return person;
  }

  /** S256: the base64url of the verifier's sha256, so the code is worthless without it. */
  static String challenge(String codeVerifier) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(codeVerifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String form(Map<String, String> fields) {
    return fields.entrySet().stream()
        .map(
            e ->
                URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }
}
