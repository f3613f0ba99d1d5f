package dev.modelfleet.e2e.oidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.cli.CliProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * People signing in through an OpenID Connect provider, as they would: the command line's device
 * code (the person approves or denies the code at the provider), its renewal with the refresh
 * token, and the console's authorization-code sign-in followed redirect by redirect as a browser
 * does, against the packaged server configured with {@link TestIdentityProvider}.
 */
class OidcSignInEndToEndTest {

  private static final Pattern USER_CODE = Pattern.compile("enter the code ([A-Z]{4}-[0-9]{4})");
  private static final Duration LOGIN_TIMEOUT = Duration.ofMinutes(2);

  private static final TestIdentityProvider provider =
      TestIdentityProvider.start("modelfleet-cli", "modelfleet-console");

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(
          Map.of(
              "MODELFLEET_OIDC_ENABLED", "true",
              "MODELFLEET_OIDC_ISSUER", provider.issuer(),
              "MODELFLEET_OIDC_AUDIENCE", "modelfleet",
              "MODELFLEET_OIDC_CLIENT_IDS", "modelfleet-cli,modelfleet-console",
              "MODELFLEET_OIDC_CLI_CLIENT_ID", "modelfleet-cli",
              "MODELFLEET_OIDC_CONSOLE_CLIENT_ID", "modelfleet-console",
              "MODELFLEET_OIDC_ROLE_MAPPINGS",
                  "fleet-ops=operator,fleet-admins=admin,fleet-readers=viewer"));

  private final HttpClient http =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @TempDir Path work;

  @AfterAll
  static void stopProvider() {
    provider.close();
  }

  @AfterEach
  void resetProvider() {
    provider.user(new TestIdentityProvider.User("alice", List.of("fleet-ops")));
    provider.accessTokenLifetime(Duration.ofMinutes(10));
    provider.deviceCodeLifetime(Duration.ofMinutes(5));
    provider.slowDownFirstPoll(false);
    provider.denyAtAuthorize(false);
  }

  // --- the command line -------------------------------------------------------------------

  private CliProcess cli() {
    return new CliProcess(work.resolve("home").resolve("config.yaml"));
  }

  private CliProcess.Running startLogin(CliProcess cli) {
    return cli.start(
        "login", "--server", running.server().baseUri().toString(), "--oidc", "--name", "sso");
  }

  /** The code the command line tells the person to enter, once it has printed it. */
  private static String userCode(CliProcess.Running login) {
    return Waits.until(
        "the command line to show a user code",
        LOGIN_TIMEOUT,
        () -> {
          Matcher matcher = USER_CODE.matcher(login.errSoFar());
          return matcher.find() ? matcher.group(1) : null;
        });
  }

  @Test
  @Timeout(300)
  void aPersonLogsInFromTheCommandLineWithADeviceCodeAndThenUsesTheApi() throws IOException {
    provider.slowDownFirstPoll(true);
    CliProcess cli = cli();
    CliProcess.Running login = startLogin(cli);
    String code = userCode(login);
    assertTrue(login.errSoFar().contains(provider.issuer() + "/device"), login.errSoFar());
    provider.approve(code);
    CliProcess.Result result = login.finish(LOGIN_TIMEOUT);

    assertEquals(0, result.exit(), result.toString());
    assertTrue(result.out().contains("as context sso"), result.toString());
    assertEquals(0, provider.pollsTooSoon(), "after slow_down the command line polls 5 s slower");
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cli.config())));
    String saved = Files.readString(cli.config());
    assertTrue(saved.contains("refresh-token:") && saved.contains("token-endpoint:"), saved);

    CliProcess.Result devices = cli.run("devices", "list", "-o", "json");
    assertEquals(0, devices.exit(), devices.toString());
    assertTrue(devices.out().trim().startsWith("["), devices.toString());
    // the access token had ten minutes left: no renewal
    assertFalse(
        provider.grantsServed().contains("refresh_token"), provider.grantsServed().toString());
  }

  @Test
  @Timeout(300)
  void anAccessTokenAboutToExpireIsRenewedWithTheRefreshTokenUntilTheProviderRefuses()
      throws IOException {
    provider.accessTokenLifetime(Duration.ofSeconds(30)); // within the command line's minute
    CliProcess cli = cli();
    CliProcess.Running login = startLogin(cli);
    provider.approve(userCode(login));
    assertEquals(0, login.finish(LOGIN_TIMEOUT).exit());
    String before = accessToken(cli.config());
    int refreshes = count(provider.grantsServed(), "refresh_token");

    CliProcess.Result devices = cli.run("devices", "list", "-o", "json");
    assertEquals(0, devices.exit(), devices.toString());
    assertEquals(refreshes + 1, count(provider.grantsServed(), "refresh_token"));
    assertNotEquals(before, accessToken(cli.config()), "the renewed token is saved");
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cli.config())));

    provider.revokeRefreshTokens(); // the person's session at the provider ended
    CliProcess.Result refused = cli.run("devices", "list");
    assertEquals(5, refused.exit(), refused.toString());
    assertTrue(refused.err().contains("refused to renew it (invalid_grant)"), refused.toString());
    assertTrue(
        refused.err().contains("--oidc --name sso"), "says how to sign in again: " + refused);
  }

  @Test
  @Timeout(300)
  void aDeniedSignInEndsWithExitFiveAndSavesNothing() {
    CliProcess cli = cli();
    CliProcess.Running login = startLogin(cli);
    String code = userCode(login);
    provider.deny(code);
    CliProcess.Result result = login.finish(LOGIN_TIMEOUT);
    assertEquals(5, result.exit(), result.toString());
    assertTrue(
        result.err().contains("the sign-in with code " + code + " was denied"), result.toString());
    assertTrue(result.err().contains("hint:"), result.toString());
    assertFalse(Files.exists(cli.config()), "no context saved");
  }

  @Test
  @Timeout(300)
  void aCodeNobodyApprovesExpiresWithExitFive() {
    provider.deviceCodeLifetime(Duration.ofSeconds(3));
    CliProcess cli = cli();
    CliProcess.Running login = startLogin(cli);
    String code = userCode(login);
    CliProcess.Result result = login.finish(LOGIN_TIMEOUT);
    assertEquals(5, result.exit(), result.toString());
    assertTrue(
        result.err().contains("the code " + code + " expired before the sign-in was approved"),
        result.toString());
    assertTrue(result.err().contains("approve the new code within"), result.toString());
    assertFalse(Files.exists(cli.config()), "no context saved");
  }

  @Test
  @Timeout(300)
  void aPersonWithoutAMappedGroupIsRefusedAtLogin() {
    provider.user(new TestIdentityProvider.User("mallory", List.of("staff")));
    CliProcess cli = cli();
    CliProcess.Running login = startLogin(cli);
    provider.approve(userCode(login));
    CliProcess.Result result = login.finish(LOGIN_TIMEOUT);
    assertEquals(5, result.exit(), result.toString());
    assertTrue(result.err().contains("role-mappings"), result.toString());
    assertFalse(Files.exists(cli.config()), "no context saved");
  }

  private static String accessToken(Path config) throws IOException {
    return Files.readAllLines(config).stream()
        .filter(line -> line.trim().startsWith("token:"))
        .findFirst()
        .orElseThrow();
  }

  private static int count(List<String> grants, String grant) {
    return (int) grants.stream().filter(grant::equals).count();
  }

  // --- the console ------------------------------------------------------------------------

  private URI server(String path) {
    return running.server().baseUri().resolve(path);
  }

  private HttpResponse<String> get(URI uri, String cookies) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
    if (cookies != null) {
      request.header("Cookie", cookies);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Optional<String> setCookie(HttpResponse<?> response, String name) {
    return response.headers().allValues("Set-Cookie").stream()
        .filter(cookie -> cookie.startsWith(name + "="))
        .findFirst();
  }

  private static String cookieValue(String setCookie) {
    String pair = setCookie.split(";", 2)[0];
    return pair.substring(pair.indexOf('=') + 1);
  }

  private static URI location(HttpResponse<?> response) {
    return URI.create(response.headers().firstValue("Location").orElseThrow());
  }

  /** The browser starts a sign-in: the provider's URL and the cookie the console set. */
  private record Started(URI authorize, String cookie) {}

  private Started startConsoleSignIn() throws Exception {
    HttpResponse<String> start = get(server("/console/login/oidc"), null);
    assertEquals(303, start.statusCode(), start.body());
    String cookie = setCookie(start, "mf_oidc").orElseThrow();
    assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), cookie);
    return new Started(location(start), "mf_oidc=" + cookieValue(cookie));
  }

  @Test
  @Timeout(120)
  void aPersonSignsInToTheConsoleThroughTheProvider() throws Exception {
    provider.user(new TestIdentityProvider.User("carol", List.of("fleet-readers")));
    HttpResponse<String> page = get(server("/console/login"), null);
    assertTrue(page.body().contains("Sign in with 127.0.0.1"), page.body());

    Started started = startConsoleSignIn();
    Map<String, String> asked = TestIdentityProvider.query(started.authorize());
    assertTrue(started.authorize().toString().startsWith(provider.issuer()), started.toString());
    assertEquals("S256", asked.get("code_challenge_method"));
    assertEquals("modelfleet-console", asked.get("client_id"));
    assertTrue(
        asked.get("state").length() >= 32 && asked.get("nonce").length() >= 32, asked.toString());

    HttpResponse<String> provided = get(started.authorize(), null);
    assertEquals(302, provided.statusCode(), provided.body());
    URI callback = location(provided);
    assertEquals(server("/console/login/oidc/callback").getPath(), callback.getPath());

    HttpResponse<String> signedIn = get(callback, started.cookie());
    assertEquals(200, signedIn.statusCode(), signedIn.body());
    String session = setCookie(signedIn, "mf_session").orElseThrow();
    assertTrue(session.contains("HttpOnly") && session.contains("SameSite=Strict"), session);
    assertTrue(signedIn.body().contains("url=/console"), signedIn.body());
    assertTrue(signedIn.body().contains("oidc:carol"), signedIn.body());

    String cookie = "mf_session=" + cookieValue(session);
    HttpResponse<String> console = get(server("/console"), cookie);
    assertEquals(200, console.statusCode(), console.body());
    HttpResponse<String> devices = get(server("/api/v1/devices"), cookie);
    assertEquals(200, devices.statusCode(), devices.body());
    // a code is good once: the same callback replayed with the same cookie opens nothing
    HttpResponse<String> replayed = get(callback, started.cookie());
    assertEquals(401, replayed.statusCode(), replayed.body());
    assertTrue(replayed.body().contains("invalid_grant"), replayed.body());
    assertTrue(setCookie(replayed, "mf_session").isEmpty(), "no session");
  }

  @Test
  @Timeout(120)
  void aCodeBroughtBackToAnotherBrowserIsRefusedByItsState() throws Exception {
    Started victim = startConsoleSignIn();
    Started attacker = startConsoleSignIn();
    URI attackersCallback = location(get(attacker.authorize(), null));

    // the attacker's code, delivered to the victim's browser (login CSRF)
    HttpResponse<String> refused = get(attackersCallback, victim.cookie());
    assertEquals(400, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("state"), refused.body());
    assertTrue(refused.body().contains("login-error"), refused.body());
    assertTrue(setCookie(refused, "mf_session").isEmpty(), "no session");

    HttpResponse<String> noCookie = get(attackersCallback, null);
    assertEquals(400, noCookie.statusCode(), noCookie.body());
    assertTrue(setCookie(noCookie, "mf_session").isEmpty(), "no session");
  }

  @Test
  @Timeout(120)
  void aSignInTheProviderDeniedIsShownOnTheLoginPage() throws Exception {
    provider.denyAtAuthorize(true);
    Started started = startConsoleSignIn();
    URI callback = location(get(started.authorize(), null));
    assertEquals("access_denied", TestIdentityProvider.query(callback).get("error"));
    HttpResponse<String> denied = get(callback, started.cookie());
    assertEquals(403, denied.statusCode(), denied.body());
    assertTrue(denied.body().contains("did not sign you in (access denied)"), denied.body());
    assertTrue(setCookie(denied, "mf_session").isEmpty(), "no session");
  }

  @Test
  @Timeout(120)
  void aPersonWithoutAMappedGroupGetsNoConsoleSession() throws Exception {
    provider.user(new TestIdentityProvider.User("mallory", List.of("staff")));
    Started started = startConsoleSignIn();
    URI callback = location(get(started.authorize(), null));
    HttpResponse<String> refused = get(callback, started.cookie());
    assertEquals(403, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("oidc:mallory"), refused.body());
    assertTrue(setCookie(refused, "mf_session").isEmpty(), "no session");
  }
}
