package dev.modelfleet.cli.oidc;

import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.config.Config;
import dev.modelfleet.cli.config.ConfigFile;
import dev.modelfleet.cli.config.ConnectionResolver;
import dev.modelfleet.cli.config.Context;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Renews the access token of a context signed in through OpenID Connect before a command uses it:
 * when it expires within a minute, the refresh token is exchanged at the provider and the new
 * tokens are saved in the context (the file stays owner-only). A refresh the provider refuses ends
 * the command with what to run to sign in again.
 */
public final class TokenRefresh {

  /** Renew this long before expiry: the command's calls must not outlive the token. */
  private static final long MARGIN_SECONDS = 60;

  private TokenRefresh() {}

  public static void freshen(
      Map<String, String> env, ConfigFile file, String contextName, Clock clock) {
    String envToken = env.get(ConnectionResolver.TOKEN_ENV);
    if (envToken != null && !envToken.isBlank()) {
      return; // the environment's token is used, not the context's
    }
    Config config = file.load();
    Optional<Context> found = contextName != null ? config.find(contextName) : config.current();
    if (found.isEmpty() || found.get().oidc() == null) {
      return;
    }
    Context context = found.get();
    if (clock.instant().getEpochSecond() + MARGIN_SECONDS < context.oidc().expiresAt()) {
      return;
    }
    String again =
        "sign in again: modelfleet login --server "
            + context.server()
            + " --oidc --name "
            + context.name();
    if (context.oidc().refreshToken() == null) {
      throw new CliException(
          ExitCode.UNAUTHORIZED,
          "the sign-in of context "
              + context.name()
              + " expired and the provider gave no refresh token",
          again);
    }
    Provider provider = new Provider(context.oidc().issuer());
    Provider.TokenAnswer answer =
        provider.refresh(
            context.oidc().tokenEndpoint(),
            context.oidc().clientId(),
            context.oidc().refreshToken());
    if (!answer.ok()) {
      throw new CliException(
          ExitCode.UNAUTHORIZED,
          "the sign-in of context "
              + context.name()
              + " expired and the provider refused to renew it ("
              + answer.error()
              + ")",
          again);
    }
    DeviceLogin.SignedIn renewed =
        DeviceLogin.signedIn(
            answer,
            context.oidc().tokenEndpoint(),
            context.oidc().clientId(),
            context.oidc().refreshToken(),
            context.oidc().issuer(),
            clock);
    // read again just before writing: keep what another command saved meanwhile
    Config latest = file.load();
    file.save(
        latest.with(
            new Context(
                context.name(),
                context.server(),
                renewed.accessToken(),
                context.ca(),
                renewed.tokens())));
  }
}
