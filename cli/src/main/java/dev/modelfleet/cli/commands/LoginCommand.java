package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.Session;
import dev.modelfleet.cli.config.Config;
import dev.modelfleet.cli.config.ConfigFile;
import dev.modelfleet.cli.config.ConnectionResolver;
import dev.modelfleet.cli.config.Context;
import dev.modelfleet.cli.config.OidcTokens;
import dev.modelfleet.cli.http.ApiClient;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.http.Connection;
import dev.modelfleet.cli.oidc.DeviceLogin;
import dev.modelfleet.cli.oidc.Provider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "login",
    header = "Save a context (server, token, CA) after checking the token, or sign in as a person.",
    description = {
      "Save a context: a server, a token and (for a private CA) the CA to trust. The token is",
      "checked against the server first; nothing is saved if it is refused. The context becomes",
      "the current one. Contexts live in $XDG_CONFIG_HOME/modelfleet/config.yaml (default",
      "~/.config/modelfleet/config.yaml, or MODELFLEET_CONFIG), readable by you alone (0600).",
      "Without --token, the token is read from MODELFLEET_TOKEN, or asked for (not echoed).",
      "With --oidc, you sign in as yourself through the server's OpenID Connect provider: open",
      "the URL shown, enter the code and approve; the context keeps the provider's tokens and",
      "renews the access token with the refresh token when it expires."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet login --server https://fleet.example.com --token mft_...",
      "  modelfleet login --server https://fleet.internal:8443 --ca fleet-ca.pem --name prod",
      "  modelfleet login --server https://fleet.example.com --oidc",
      "  echo \"$TOKEN\" | modelfleet login --server http://localhost:8080 --token -"
    })
public final class LoginCommand extends SessionCommand {

  @Option(
      names = "--server",
      required = true,
      paramLabel = "URL",
      description = "The server's base URL.")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "An API token (mft_...) or the admin token; '-' reads it from standard input.")
  String token;

  @Option(
      names = "--oidc",
      description =
          "Sign in as a person through the server's OpenID Connect provider (device code).")
  boolean oidc;

  @Option(
      names = "--ca",
      paramLabel = "PEM_FILE",
      description = "Trust this CA instead of the system's.")
  Path ca;

  @Option(names = "--name", description = "The context's name (default: the server's host[:port]).")
  String name;

  @Override
  protected int run() throws IOException {
    URI uri = ConnectionResolver.serverUri(server, "--server");
    if (oidc && token != null) {
      throw CliException.usage(
          "--oidc and --token are alternatives",
          "sign in as yourself with --oidc, or give an API token with --token");
    }
    String caPem = ca == null ? null : ConnectionResolver.readCa(ca, "--ca");
    String contextName =
        name != null ? name : uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    OidcTokens renewal = null;
    String secret;
    if (oidc) {
      DeviceLogin.SignedIn person = signInPerson(uri, caPem, contextName);
      secret = person.accessToken();
      renewal = person.tokens();
    } else {
      secret = token();
    }
    if ("http".equalsIgnoreCase(uri.getScheme()) && !loopback(uri.getHost())) {
      err()
          .println(
              "warning: "
                  + uri
                  + " is plain HTTP: the token travels unencrypted; use https for a server on a network");
    }
    ApiClient api =
        new ApiClient(new Connection(uri, secret, caPem, contextName), Session.version());
    // a cheap call every role may make: proves the server and the token
    api.text(ApiPath.api("trust", "root.pem"));
    ConfigFile file = session().configFile();
    Config config = file.load();
    file.save(
        config
            .with(new Context(contextName, uri.toString(), secret, caPem, renewal))
            .using(contextName));
    out()
        .println(
            "logged in to "
                + uri
                + " as context "
                + contextName
                + " (saved in "
                + file.path()
                + ")");
    return 0;
  }

  /** The device authorization grant against the provider the server names. */
  private DeviceLogin.SignedIn signInPerson(URI uri, String caPem, String contextName) {
    JsonNode settings =
        new ApiClient(new Connection(uri, null, caPem, contextName), Session.version())
            .get(ApiPath.open("/auth/v1/config"))
            .path("oidc");
    if (!settings.isObject()) {
      throw new CliException(
          ExitCode.REFUSED,
          uri + " does not sign people in through OpenID Connect",
          "log in with an API token (--token), or ask an admin to set MODELFLEET_OIDC_* on the"
              + " server");
    }
    String scope = settings.path("scopes").asText("openid");
    if (!(" " + scope + " ").contains(" offline_access ")) {
      scope = scope + " offline_access"; // a refresh token, so the context outlives one token
    }
    DeviceLogin login =
        new DeviceLogin(
            new Provider(settings.path("issuer").asText()),
            session().clock(),
            duration -> Thread.sleep(duration.toMillis()));
    return login.signIn(
        settings.path("clientId").asText(),
        scope,
        "modelfleet login --server " + uri + " --oidc",
        err());
  }

  private String token() throws IOException {
    if (token != null && !token.equals("-")) {
      return token.trim();
    }
    if ("-".equals(token)) {
      String line =
          new BufferedReader(new InputStreamReader(session().in(), StandardCharsets.UTF_8))
              .readLine();
      if (line == null || line.isBlank()) {
        throw CliException.usage(
            "no token on standard input", "pipe the token in: echo \"$T\" | ...");
      }
      return line.trim();
    }
    String env = session().env().get(ConnectionResolver.TOKEN_ENV);
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    if (session().terminal().interactive() && System.console() != null) {
      char[] typed = System.console().readPassword("Token for %s: ", server);
      if (typed != null && typed.length > 0) {
        return new String(typed).trim();
      }
    }
    throw CliException.usage(
        "no token given",
        "pass --token TOKEN (or --token - to read it from standard input, or set MODELFLEET_TOKEN)");
  }

  private static boolean loopback(String host) {
    try {
      return host.equalsIgnoreCase("localhost") || InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
