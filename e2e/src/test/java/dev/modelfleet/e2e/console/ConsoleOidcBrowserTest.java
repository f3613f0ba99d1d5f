package dev.modelfleet.e2e.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.oidc.TestIdentityProvider;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

/**
 * A person signs in to the console with the provider's button in a real browser, the provider on
 * another site (localhost, the console at 127.0.0.1), so the browser's SameSite rules apply as they
 * do in production: the sign-in cookie must come back on the provider's cross-site redirect, and
 * the session cookie must be sent when the browser moves on to the console.
 */
class ConsoleOidcBrowserTest {

  private static final TestIdentityProvider provider =
      TestIdentityProvider.startAs("localhost", "modelfleet-console");

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(
          Map.of(
              "MODELFLEET_OIDC_ENABLED", "true",
              "MODELFLEET_OIDC_ISSUER", provider.issuer(),
              "MODELFLEET_OIDC_AUDIENCE", "modelfleet",
              "MODELFLEET_OIDC_CLIENT_IDS", "modelfleet-console",
              "MODELFLEET_OIDC_CONSOLE_CLIENT_ID", "modelfleet-console",
              "MODELFLEET_OIDC_ROLE_MAPPINGS", "fleet-ops=operator"));

  @AfterAll
  static void stopProvider() {
    provider.close();
  }

  @Test
  @Timeout(180)
  void aPersonSignsInWithTheProvidersButtonAndLandsOnTheOverview() throws Exception {
    provider.user(new TestIdentityProvider.User("dana", List.of("fleet-ops")));
    provider.approvalPage(true);
    try (ConsoleBrowser browser = ConsoleBrowser.open(running.server().baseUri())) {
      browser.go("/console/login");
      assertEquals("Sign in with localhost", browser.text("#sign-in-oidc"));
      browser.driver().findElement(By.id("sign-in-oidc")).click();
      browser.await(
          "the provider's page",
          () -> browser.driver().getCurrentUrl().startsWith(provider.issuer()));
      browser.driver().findElement(By.id("approve")).click();
      browser.await("the overview after signing in", () -> browser.path().equals("/console"));
      browser.await("the signed-in person", () -> browser.text("#who").startsWith("oidc:dana"));
      assertTrue(browser.text("#who").contains("operator"), browser.text("#who"));
    }
  }
}
