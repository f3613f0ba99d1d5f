package dev.modelfleet.cli.config;

import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.http.Connection;
import dev.modelfleet.cli.output.Text;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which server and token a command uses: the context named with {@code --context}, else the current
 * one, with {@code MODELFLEET_SERVER}, {@code MODELFLEET_TOKEN} and {@code MODELFLEET_CA}
 * overriding its fields. A context's token goes only to that context's server: with {@code
 * MODELFLEET_SERVER} naming another one, the token must come from {@code MODELFLEET_TOKEN}.
 */
public final class ConnectionResolver {

  public static final String SERVER_ENV = "MODELFLEET_SERVER";
  public static final String TOKEN_ENV = "MODELFLEET_TOKEN";
  public static final String CA_ENV = "MODELFLEET_CA";

  private ConnectionResolver() {}

  public static Connection resolve(Map<String, String> env, ConfigFile file, String contextName) {
    Config config = file.load();
    Context context = null;
    if (contextName != null) {
      context =
          config
              .find(contextName)
              .orElseThrow(
                  () ->
                      CliException.usage(
                          "no context named '"
                              + Text.printable(contextName)
                              + "' in "
                              + file.path(),
                          config.contexts().isEmpty()
                              ? "log in first: modelfleet login --server URL --token TOKEN"
                                  + " --name "
                                  + Text.printable(contextName)
                              : "the contexts are: "
                                  + config.contexts().stream()
                                      .map(Context::name)
                                      .collect(Collectors.joining(", "))));
    } else {
      context = config.current().orElse(null);
    }
    String serverText = blankToNull(env.get(SERVER_ENV));
    boolean envServer = serverText != null;
    if (serverText == null && context != null) {
      serverText = context.server();
    }
    if (serverText == null) {
      throw new CliException(
          ExitCode.UNAUTHORIZED,
          "no server to talk to: not logged in",
          "run modelfleet login --server URL --token TOKEN, or set MODELFLEET_SERVER and"
              + " MODELFLEET_TOKEN");
    }
    URI server = serverUri(serverText, envServer ? SERVER_ENV : "context " + context.name());
    boolean contextApplies =
        context != null && (!envServer || sameServer(server, context.server()));
    String token = blankToNull(env.get(TOKEN_ENV));
    if (token == null && contextApplies) {
      token = blankToNull(context.token());
    }
    if (token == null) {
      throw new CliException(
          ExitCode.UNAUTHORIZED,
          "no token for " + server,
          context != null && !contextApplies
              ? "MODELFLEET_SERVER names another server than context "
                  + context.name()
                  + ", whose token is not sent there: set MODELFLEET_TOKEN too"
              : "run modelfleet login --server "
                  + server
                  + " --token TOKEN, or set"
                  + " MODELFLEET_TOKEN");
    }
    String ca = null;
    String caFile = blankToNull(env.get(CA_ENV));
    if (caFile != null) {
      ca = readCa(Path.of(caFile), CA_ENV);
    } else if (contextApplies) {
      ca = context.ca();
    }
    return new Connection(server, token, ca, contextApplies ? context.name() : null);
  }

  /** Reads a PEM CA file the user named. */
  public static String readCa(Path file, String what) {
    try {
      if (Files.size(file) > 1024 * 1024) {
        throw CliException.usage(what + " " + file + " is too large for a CA certificate", null);
      }
      return Files.readString(file);
    } catch (IOException e) {
      throw CliException.usage(
          "cannot read the CA file " + file + " (" + what + "): " + e.getMessage(),
          "pass the PEM file of the CA that signed the server's certificate");
    }
  }

  /** A server URL as given: http or https, a host, nothing after the path. */
  public static URI serverUri(String text, String source) {
    URI uri;
    try {
      uri = new URI(text.trim());
    } catch (URISyntaxException e) {
      throw badServer(text, source);
    }
    if (uri.getScheme() == null
        || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
        || uri.getHost() == null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null) {
      throw badServer(text, source);
    }
    return uri;
  }

  private static CliException badServer(String text, String source) {
    return CliException.usage(
        "'" + Text.printable(text) + "' (" + source + ") is not a server URL",
        "give the server's base URL, e.g. https://fleet.example.com or http://localhost:8080");
  }

  private static boolean sameServer(URI a, String b) {
    try {
      URI other = new URI(b);
      return a.getScheme().equalsIgnoreCase(other.getScheme())
          && a.getHost().equalsIgnoreCase(other.getHost())
          && port(a) == port(other);
    } catch (URISyntaxException | NullPointerException e) {
      return false;
    }
  }

  private static int port(URI uri) {
    if (uri.getPort() > 0) {
      return uri.getPort();
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
