package dev.modelfleet.e2e.oidc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An OpenID Connect provider for the end-to-end tests, over real HTTP on a loopback port, with the
 * JDK alone: discovery, JWKS, RS256 tokens signed with a key generated at start, the device
 * authorization grant (RFC 8628: pending until the test approves or denies the user code, {@code
 * slow_down} for a poll sooner than the interval, {@code expired_token}), the authorization-code
 * grant with PKCE (S256 checked, codes single-use and bound to client and redirect URI), and
 * refresh tokens (rotated on use, revocable). {@code /authorize} stands for the person at the
 * provider's page: it signs in the configured user at once, or denies when told to.
 */
public final class TestIdentityProvider implements AutoCloseable {

  static final String REALM = "/realms/fleet";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Who signs in, and the groups the tokens carry. */
  public record User(String name, List<String> groups) {}

  private record DeviceGrant(
      String userCode,
      String clientId,
      Instant expiresAt,
      AtomicReference<String> status,
      AtomicLong lastPollNanos,
      AtomicLong intervalSeconds) {}

  private record CodeGrant(
      String clientId, String redirectUri, String challenge, String nonce, User user) {}

  private record RefreshGrant(String clientId, User user) {}

  private final HttpServer server;
  private final String issuer;
  private final KeyPair key;
  private final String kid = "test-" + Long.toHexString(RANDOM.nextLong());
  private final Set<String> clients;
  private final Map<String, DeviceGrant> deviceCodes = new ConcurrentHashMap<>();
  private final Map<String, CodeGrant> codes = new ConcurrentHashMap<>();
  private final Map<String, RefreshGrant> refreshTokens = new ConcurrentHashMap<>();
  private final List<String> grantsServed = new CopyOnWriteArrayList<>();
  private final AtomicInteger pollsTooSoon = new AtomicInteger();
  private volatile boolean slowDownFirstPoll;
  private volatile User user = new User("alice", List.of("fleet-ops"));
  private volatile boolean denyAtAuthorize;
  private volatile boolean approvalPage;
  private volatile Duration accessTokenLifetime = Duration.ofMinutes(10);
  private volatile Duration deviceCodeLifetime = Duration.ofMinutes(5);
  private final int intervalSeconds = 1;

  private TestIdentityProvider(String host, Set<String> clients) throws Exception {
    this.clients = clients;
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    this.key = generator.generateKeyPair();
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    this.issuer = "http://" + host + ":" + server.getAddress().getPort() + REALM;
    route("/.well-known/openid-configuration", this::discovery);
    route("/protocol/openid-connect/certs", exchange -> json(exchange, 200, jwks()));
    route("/protocol/openid-connect/auth/device", this::deviceAuthorization);
    route("/protocol/openid-connect/auth", this::authorize);
    route("/protocol/openid-connect/token", this::token);
    server.start();
  }

  /** A provider that issues tokens to these clients. */
  public static TestIdentityProvider start(String... clients) {
    return startAs("127.0.0.1", clients);
  }

  /**
   * A provider whose issuer names {@code host} (still listening on 127.0.0.1): "localhost" makes it
   * another site than a server at 127.0.0.1, as a real provider is for a browser.
   */
  public static TestIdentityProvider startAs(String host, String... clients) {
    try {
      return new TestIdentityProvider(host, Set.of(clients));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public String issuer() {
    return issuer;
  }

  public void user(User user) {
    this.user = user;
  }

  /** The person at the provider's page refuses the next authorization-code sign-ins. */
  public void denyAtAuthorize(boolean deny) {
    this.denyAtAuthorize = deny;
  }

  /**
   * {@code /authorize} shows a page with a Continue link (id {@code approve}) instead of
   * redirecting at once: for a browser, which then leaves the provider's site from the provider's
   * own page, as after a real sign-in.
   */
  public void approvalPage(boolean show) {
    this.approvalPage = show;
  }

  public void accessTokenLifetime(Duration lifetime) {
    this.accessTokenLifetime = lifetime;
  }

  public void deviceCodeLifetime(Duration lifetime) {
    this.deviceCodeLifetime = lifetime;
  }

  /** The person entered the user code and approved. */
  public void approve(String userCode) {
    decide(userCode, "approved");
  }

  /** The person entered the user code and refused. */
  public void deny(String userCode) {
    decide(userCode, "denied");
  }

  /** Every refresh token stops working (the person's session at the provider ended). */
  public void revokeRefreshTokens() {
    refreshTokens.clear();
  }

  /** The grant types of the tokens issued so far, in order. */
  public List<String> grantsServed() {
    return List.copyOf(grantsServed);
  }

  /** How often a device poll came sooner than the interval (after slow_down: +5 s) allows. */
  public int pollsTooSoon() {
    return pollsTooSoon.get();
  }

  /** Answer the first poll of every device code with slow_down, as a busy provider may. */
  public void slowDownFirstPoll(boolean slowDown) {
    this.slowDownFirstPoll = slowDown;
  }

  private void decide(String userCode, String decision) {
    DeviceGrant grant =
        deviceCodes.values().stream()
            .filter(g -> g.userCode().equals(userCode))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no device code for " + userCode));
    grant.status().set(decision);
  }

  private void discovery(HttpExchange exchange) throws IOException {
    String base = issuer + "/protocol/openid-connect";
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("issuer", issuer);
    document.put("authorization_endpoint", base + "/auth");
    document.put("device_authorization_endpoint", base + "/auth/device");
    document.put("token_endpoint", base + "/token");
    document.put("jwks_uri", base + "/certs");
    document.put("code_challenge_methods_supported", List.of("S256"));
    json(exchange, 200, document);
  }

  private void deviceAuthorization(HttpExchange exchange) throws IOException {
    Map<String, String> form = form(exchange);
    if (!clients.contains(form.get("client_id"))) {
      json(exchange, 401, error("invalid_client", "unknown client"));
      return;
    }
    String deviceCode = random();
    String userCode =
        random().replaceAll("[^A-Z]", "").concat("WXYZABCD").substring(0, 4)
            + "-"
            + String.format("%04d", RANDOM.nextInt(10_000));
    deviceCodes.put(
        deviceCode,
        new DeviceGrant(
            userCode,
            form.get("client_id"),
            Instant.now().plus(deviceCodeLifetime),
            new AtomicReference<>("pending"),
            new AtomicLong(),
            new AtomicLong(intervalSeconds)));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("device_code", deviceCode);
    answer.put("user_code", userCode);
    answer.put("verification_uri", issuer + "/device");
    answer.put("verification_uri_complete", issuer + "/device?user_code=" + userCode);
    answer.put("expires_in", Math.max(1, deviceCodeLifetime.toSeconds()));
    answer.put("interval", intervalSeconds);
    json(exchange, 200, answer);
  }

  /** The person's browser arrives: signed in (or refused) at once, sent back with a code. */
  private void authorize(HttpExchange exchange) throws IOException {
    Map<String, String> query = parse(exchange.getRequestURI().getRawQuery());
    String redirect = query.get("redirect_uri");
    if (!clients.contains(query.get("client_id")) || redirect == null) {
      json(exchange, 400, error("invalid_request", "unknown client or no redirect_uri"));
      return;
    }
    String state = query.get("state");
    String back;
    if (denyAtAuthorize) {
      back = redirect + "?error=access_denied&state=" + encode(state);
    } else if (!"S256".equals(query.get("code_challenge_method"))
        || query.get("code_challenge") == null) {
      back = redirect + "?error=invalid_request&state=" + encode(state);
    } else {
      String code = random();
      codes.put(
          code,
          new CodeGrant(
              query.get("client_id"),
              redirect,
              query.get("code_challenge"),
              query.get("nonce"),
              user));
      back = redirect + "?code=" + code + "&state=" + encode(state);
    }
    if (approvalPage) {
      // the provider's own page: the person clicks, so the way back starts on the provider's site
      byte[] page =
          ("<!DOCTYPE html><html><body><p>Sign in to ModelFleet as "
                  + user.name()
                  + "?</p><a id=\"approve\" href=\""
                  + back.replace("&", "&amp;").replace("\"", "&quot;")
                  + "\">Continue</a></body></html>")
              .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, page.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(page);
      }
      return;
    }
    exchange.getResponseHeaders().set("Location", back);
    exchange.sendResponseHeaders(302, -1);
    exchange.close();
  }

  private void token(HttpExchange exchange) throws IOException {
    Map<String, String> form = form(exchange);
    String client = form.get("client_id");
    if (!clients.contains(client)) {
      json(exchange, 401, error("invalid_client", "unknown client"));
      return;
    }
    String grant = String.valueOf(form.get("grant_type"));
    switch (grant) {
      case "urn:ietf:params:oauth:grant-type:device_code" -> deviceToken(exchange, form, client);
      case "authorization_code" -> codeToken(exchange, form, client);
      case "refresh_token" -> {
        RefreshGrant refresh = refreshTokens.remove(String.valueOf(form.get("refresh_token")));
        if (refresh == null || !refresh.clientId().equals(client)) {
          json(exchange, 400, error("invalid_grant", "refresh token not valid"));
          return;
        }
        issue(exchange, grant, client, refresh.user(), null);
      }
      default -> json(exchange, 400, error("unsupported_grant_type", grant));
    }
  }

  private void deviceToken(HttpExchange exchange, Map<String, String> form, String client)
      throws IOException {
    DeviceGrant grant = deviceCodes.get(String.valueOf(form.get("device_code")));
    if (grant == null || !grant.clientId().equals(client)) {
      json(exchange, 400, error("invalid_grant", "unknown device code"));
      return;
    }
    long now = System.nanoTime();
    long last = grant.lastPollNanos().getAndSet(now);
    if (Instant.now().isAfter(grant.expiresAt())) {
      json(exchange, 400, error("expired_token", "the device code expired"));
      return;
    }
    if (last == 0 && slowDownFirstPoll) {
      // RFC 8628 3.5: the client must add 5 seconds to its interval, for this and later polls
      grant.intervalSeconds().addAndGet(5);
      json(exchange, 400, error("slow_down", "slow down"));
      return;
    }
    long interval = Duration.ofSeconds(grant.intervalSeconds().get()).toNanos();
    if (last != 0 && now - last < interval - 50_000_000L) {
      pollsTooSoon.incrementAndGet();
      json(exchange, 400, error("slow_down", "polled sooner than the interval"));
      return;
    }
    switch (grant.status().get()) {
      case "approved" -> {
        deviceCodes.remove(String.valueOf(form.get("device_code")));
        issue(exchange, "device_code", client, user, null);
      }
      case "denied" -> json(exchange, 400, error("access_denied", "the user refused"));
      default -> json(exchange, 400, error("authorization_pending", "waiting for the user"));
    }
  }

  private void codeToken(HttpExchange exchange, Map<String, String> form, String client)
      throws IOException {
    CodeGrant grant = codes.remove(String.valueOf(form.get("code"))); // single use
    if (grant == null
        || !grant.clientId().equals(client)
        || !grant.redirectUri().equals(form.get("redirect_uri"))) {
      json(exchange, 400, error("invalid_grant", "unknown code, client or redirect_uri"));
      return;
    }
    String verifier = form.get("code_verifier");
    if (verifier == null || !s256(verifier).equals(grant.challenge())) {
      json(exchange, 400, error("invalid_grant", "PKCE verification failed"));
      return;
    }
    issue(exchange, "authorization_code", client, grant.user(), grant.nonce());
  }

  private void issue(HttpExchange exchange, String grant, String client, User who, String nonce)
      throws IOException {
    long now = Instant.now().getEpochSecond();
    long lifetime = accessTokenLifetime.toSeconds();
    Map<String, Object> access = new LinkedHashMap<>();
    access.put("iss", issuer);
    access.put("sub", "sub-" + who.name());
    access.put("aud", "modelfleet");
    access.put("azp", client);
    access.put("iat", now);
    access.put("exp", now + lifetime);
    access.put("jti", random());
    access.put("preferred_username", who.name());
    access.put("groups", who.groups());
    Map<String, Object> id = new LinkedHashMap<>();
    id.put("iss", issuer);
    id.put("sub", "sub-" + who.name());
    id.put("aud", client);
    id.put("azp", client);
    id.put("iat", now);
    id.put("exp", now + lifetime);
    if (nonce != null) {
      id.put("nonce", nonce);
    }
    String refresh = random();
    refreshTokens.put(refresh, new RefreshGrant(client, who));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("access_token", sign(access));
    answer.put("id_token", sign(id));
    answer.put("refresh_token", refresh);
    answer.put("token_type", "Bearer");
    answer.put("expires_in", lifetime);
    grantsServed.add(grant);
    json(exchange, 200, answer);
  }

  private String sign(Map<String, Object> claims) {
    try {
      String header = b64(JSON.writeValueAsBytes(Map.of("alg", "RS256", "typ", "JWT", "kid", kid)));
      String payload = b64(JSON.writeValueAsBytes(claims));
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(key.getPrivate());
      rsa.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
      return header + "." + payload + "." + b64(rsa.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private Map<String, Object> jwks() {
    RSAPublicKey pub = (RSAPublicKey) key.getPublic();
    Map<String, Object> jwk = new LinkedHashMap<>();
    jwk.put("kty", "RSA");
    jwk.put("kid", kid);
    jwk.put("use", "sig");
    jwk.put("alg", "RS256");
    jwk.put("n", b64(unsigned(pub.getModulus())));
    jwk.put("e", b64(unsigned(pub.getPublicExponent())));
    return Map.of("keys", List.of(jwk));
  }

  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  static String s256(String verifier) {
    try {
      return b64(
          MessageDigest.getInstance("SHA-256")
              .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  private void route(String path, Handler handler) {
    server.createContext(
        REALM + path,
        exchange -> {
          try {
            // contexts match by prefix: /auth must not answer /auth/device
            if (!exchange.getRequestURI().getPath().equals(REALM + path)) {
              json(exchange, 404, error("not_found", exchange.getRequestURI().getPath()));
              return;
            }
            handler.handle(exchange);
          } catch (RuntimeException e) {
            json(exchange, 500, error("server_error", String.valueOf(e)));
          } finally {
            exchange.close();
          }
        });
  }

  private static Map<String, String> form(HttpExchange exchange) throws IOException {
    return parse(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
  }

  private static Map<String, String> parse(String encoded) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return fields;
    }
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        fields.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return fields;
  }

  /** The query of a URL as a map (for tests reading redirects). */
  public static Map<String, String> query(URI uri) {
    return parse(uri.getRawQuery());
  }

  private static Map<String, Object> error(String code, String description) {
    return Map.of("error", code, "error_description", description);
  }

  private static void json(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String encode(String value) {
    return value == null ? "" : URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String random() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return b64(bytes);
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
