package dev.modelfleet.server.console;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.support.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Console sign-in, the session cookie, CSRF and the page headers, over HTTP as a browser sends it
 * (the browser itself drives the console in the e2e module's ConsoleBrowserTest).
 */
@QuarkusTest
public class ConsoleSessionTest {

  private static final Pattern CSRF_META =
      Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"");

  /** A signed-in browser: its session cookie and the CSRF token its pages carry. */
  public record Browser(String session, String csrf) {}

  /** Signs in on the console's form, as a person would (other features' tests use it too). */
  public static Browser signIn(String token) {
    Response form = given().redirects().follow(false).get("/console/login");
    form.then()
        .statusCode(200)
        .header("Content-Security-Policy", containsString("script-src 'self'"));
    String loginCsrf = form.getCookie("mf_login_csrf");
    Response signedIn =
        given()
            .redirects()
            .follow(false)
            .cookie("mf_login_csrf", loginCsrf)
            .formParam("csrf", loginCsrf)
            .formParam("token", token)
            .post("/console/login");
    signedIn.then().statusCode(303).header("Location", containsString("/console"));
    String cookie =
        signedIn.getHeaders().getValues("Set-Cookie").stream()
            .filter(c -> c.startsWith("mf_session="))
            .findFirst()
            .orElseThrow();
    assertTrue(cookie.contains("HttpOnly"), cookie);
    assertTrue(cookie.contains("SameSite=Strict"), cookie);
    assertTrue(cookie.contains("Max-Age="), cookie);
    String session = signedIn.getCookie("mf_session");
    String page =
        given()
            .cookie("mf_session", session)
            .get("/console")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    Matcher csrf = CSRF_META.matcher(page);
    assertTrue(csrf.find(), page);
    return new Browser(session, csrf.group(1));
  }

  @Test
  void pagesNeedASessionAndCarryAStrictContentSecurityPolicy() {
    given()
        .redirects()
        .follow(false)
        .get("/console/devices")
        .then()
        .statusCode(303)
        .header("Location", containsString("/console/login"));
    Browser admin = signIn(Api.ADMIN_TOKEN);
    for (String page :
        new String[] {
          "/console",
          "/console/devices",
          "/console/rollouts",
          "/console/rollouts/new",
          "/console/models",
          "/console/trust",
          "/console/access",
          "/console/audit"
        }) {
      given()
          .cookie("mf_session", admin.session())
          .get(page)
          .then()
          .statusCode(200)
          .header("Content-Security-Policy", containsString("script-src 'self';"))
          .header("Content-Security-Policy", not(containsString("unsafe-inline")))
          .header("X-Frame-Options", "DENY")
          .body(not(containsString("<script>")))
          .body(not(containsString(" onclick=")));
    }
  }

  @Test
  void aWrongTokenOrAFormFromElsewhereSignsNobodyIn() {
    Response form = given().get("/console/login");
    String loginCsrf = form.getCookie("mf_login_csrf");
    given()
        .redirects()
        .follow(false)
        .cookie("mf_login_csrf", loginCsrf)
        .formParam("csrf", loginCsrf)
        .formParam("token", "mft_not-a-token")
        .post("/console/login")
        .then()
        .statusCode(401)
        .body(containsString("not valid"));
    // a form posted from another site has neither the cookie nor its value
    given()
        .redirects()
        .follow(false)
        .formParam("csrf", "guess")
        .formParam("token", Api.ADMIN_TOKEN)
        .post("/console/login")
        .then()
        .statusCode(403);
    given()
        .redirects()
        .follow(false)
        .header("Origin", "https://evil.example")
        .cookie("mf_login_csrf", loginCsrf)
        .formParam("csrf", loginCsrf)
        .formParam("token", Api.ADMIN_TOKEN)
        .post("/console/login")
        .then()
        .statusCode(403);
  }

  @Test
  void theSessionCookieChangesNothingWithoutTheCsrfToken() {
    ApiClients.Client operator = ApiClients.create("operator");
    Browser browser = signIn(operator.secret());
    // reads with the cookie alone work: that is how the page's event stream authenticates
    given().cookie("mf_session", browser.session()).get("/api/v1/rollouts").then().statusCode(200);
    given()
        .cookie("mf_session", browser.session())
        .contentType("application/json")
        .body("{}")
        .post("/api/v1/rollouts")
        .then()
        .statusCode(403)
        .body("detail", containsString("CSRF"));
    // with the token the request reaches the API (and is refused there for its empty body)
    given()
        .cookie("mf_session", browser.session())
        .header("X-CSRF-Token", browser.csrf())
        .contentType("application/json")
        .body("{}")
        .post("/api/v1/rollouts")
        .then()
        .statusCode(400);
    // and another site's page posting to the console is turned away before anything runs
    given()
        .cookie("mf_session", browser.session())
        .header("X-CSRF-Token", browser.csrf())
        .header("Origin", "https://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .post("/console/logout")
        .then()
        .statusCode(403);
  }

  @Test
  void aViewerSeesNoControlsAndIsRefusedAForgedAction() {
    ApiClients.Client viewer = ApiClients.create("viewer");
    Browser browser = signIn(viewer.secret());
    given()
        .cookie("mf_session", browser.session())
        .get("/console/rollouts")
        .then()
        .statusCode(200)
        .body(not(containsString("New rollout")));
    given().cookie("mf_session", browser.session()).get("/console/audit").then().statusCode(403);
    given()
        .cookie("mf_session", browser.session())
        .header("X-CSRF-Token", browser.csrf())
        .contentType("application/json")
        .body("{}")
        .post("/api/v1/rollouts")
        .then()
        .statusCode(403)
        .body("detail", containsString("viewer"));
  }

  @Test
  void signingOutEndsTheSessionEverywhere() {
    Browser browser = signIn(Api.ADMIN_TOKEN);
    Response out =
        given()
            .cookie("mf_session", browser.session())
            .header("X-CSRF-Token", browser.csrf())
            .post("/console/logout");
    out.then().statusCode(204).header("HX-Redirect", equalTo("/console/login"));
    String cleared =
        out.getHeaders().getValues("Set-Cookie").stream()
            .filter(c -> c.startsWith("mf_session="))
            .findFirst()
            .orElseThrow();
    assertTrue(cleared.contains("Max-Age=0"), cleared);
    given()
        .redirects()
        .follow(false)
        .cookie("mf_session", browser.session())
        .get("/console")
        .then()
        .statusCode(303);
    given().cookie("mf_session", browser.session()).get("/api/v1/rollouts").then().statusCode(401);
  }

  @Test
  void aRevokedTokenEndsItsSessions() {
    ApiClients.Client operator = ApiClients.create("operator");
    Browser browser = signIn(operator.secret());
    Api.admin().post("/api/v1/access/tokens/" + operator.id() + "/revoke").then().statusCode(200);
    Response after =
        given().redirects().follow(false).cookie("mf_session", browser.session()).get("/console");
    assertEquals(303, after.statusCode());
    assertNotNull(after.getHeader("Location"));
  }

  @Test
  void withoutAProviderTheSignInPageOffersTokensOnly() {
    given()
        .get("/console/login")
        .then()
        .statusCode(200)
        .body(not(containsString("/console/login/oidc")));
    given()
        .get("/auth/v1/config")
        .then()
        .statusCode(200)
        .body("oidc", org.hamcrest.Matchers.nullValue());
    given()
        .redirects()
        .follow(false)
        .get("/console/login/oidc")
        .then()
        .statusCode(404)
        .body(containsString("not configured"));
  }
}
