package dev.modelfleet.cli.oidc;

import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.config.OidcTokens;
import dev.modelfleet.cli.output.Text;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The OAuth 2.0 device authorization grant (RFC 8628): asks the provider for a code, tells the
 * person where to enter it, and polls the token endpoint at the provider's interval (five seconds
 * more after each {@code slow_down}) until the person approved, denied, or the code expired.
 */
public final class DeviceLogin {

  /** Waits between polls; a test may wait less. */
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  /** The access token and how to renew it. */
  public record SignedIn(String accessToken, OidcTokens tokens) {}

  private final Provider provider;
  private final Clock clock;
  private final Sleeper sleeper;

  public DeviceLogin(Provider provider, Clock clock, Sleeper sleeper) {
    this.provider = provider;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  public SignedIn signIn(String clientId, String scope, String retry, PrintStream tell) {
    Provider.Endpoints endpoints = provider.discover();
    if (endpoints.deviceAuthorization() == null) {
      throw new CliException(
          ExitCode.REFUSED,
          "the OpenID Connect provider "
              + provider.issuer()
              + " does not offer the device authorization grant",
          "enable it for client "
              + clientId
              + " at the provider, or log in with an API token (--token)");
    }
    Provider.DeviceCode code =
        provider.deviceAuthorization(endpoints.deviceAuthorization(), clientId, scope);
    tell.println(
        "To sign in, open "
            + Text.printable(code.verificationUri())
            + " and enter the code "
            + Text.printable(code.userCode()));
    if (code.verificationUriComplete() != null) {
      tell.println("(or open " + Text.printable(code.verificationUriComplete()) + ")");
    }
    tell.println(
        "Waiting for the sign-in to be approved (the code expires in "
            + minutes(code.expiresInSeconds())
            + ")...");
    tell.flush();
    Instant deadline = clock.instant().plusSeconds(code.expiresInSeconds());
    long interval = code.intervalSeconds();
    while (true) {
      if (!clock.instant().isBefore(deadline)) {
        throw expired(code, retry);
      }
      try {
        sleeper.sleep(Duration.ofSeconds(interval));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException(
            ExitCode.INTERNAL, "interrupted while waiting for the sign-in", null);
      }
      Provider.TokenAnswer answer =
          provider.pollDeviceCode(endpoints.token(), clientId, code.deviceCode());
      if (answer.ok()) {
        return signedIn(answer, endpoints.token(), clientId, null, provider.issuer(), clock);
      }
      switch (answer.error()) {
        case "authorization_pending" -> {}
        case "slow_down" -> interval += 5; // RFC 8628 3.5: for this and every later poll
        case "expired_token" -> throw expired(code, retry);
        case "access_denied" ->
            throw new CliException(
                ExitCode.UNAUTHORIZED,
                "the sign-in with code " + Text.printable(code.userCode()) + " was denied",
                "if that was a mistake, run " + retry + " again and approve the new code");
        default ->
            throw new CliException(
                ExitCode.REFUSED,
                "the provider refused the sign-in: "
                    + Text.printable(answer.error())
                    + (answer.description() == null
                        ? ""
                        : " (" + Text.printable(answer.description()) + ")"),
                "check that client "
                    + clientId
                    + " may use the device authorization grant at the provider");
      }
    }
  }

  /** The tokens of a successful answer; the refresh token stays when a refresh gives no new one. */
  static SignedIn signedIn(
      Provider.TokenAnswer answer,
      String tokenEndpoint,
      String clientId,
      String previousRefresh,
      String issuer,
      Clock clock) {
    String refresh = answer.text("refresh_token");
    long lifetime = answer.body().path("expires_in").asLong(300);
    return new SignedIn(
        answer.text("access_token"),
        new OidcTokens(
            issuer,
            clientId,
            tokenEndpoint,
            refresh != null ? refresh : previousRefresh,
            clock.instant().getEpochSecond() + lifetime));
  }

  private static CliException expired(Provider.DeviceCode code, String retry) {
    return new CliException(
        ExitCode.UNAUTHORIZED,
        "the code " + Text.printable(code.userCode()) + " expired before the sign-in was approved",
        "run "
            + retry
            + " again and approve the new code within "
            + minutes(code.expiresInSeconds()));
  }

  private static String minutes(long seconds) {
    return seconds >= 120 ? (seconds / 60) + " minutes" : seconds + " seconds";
  }
}
