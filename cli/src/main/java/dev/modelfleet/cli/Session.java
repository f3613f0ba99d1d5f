package dev.modelfleet.cli;

import dev.modelfleet.cli.config.ConfigFile;
import dev.modelfleet.cli.config.ConnectionResolver;
import dev.modelfleet.cli.http.ApiClient;
import dev.modelfleet.cli.oidc.TokenRefresh;
import dev.modelfleet.cli.output.OutputFormat;
import dev.modelfleet.cli.output.Terminal;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.Properties;

/**
 * What one run of the command line works with: its environment, streams and terminal, the global
 * options, and (made when first needed) the API client of the chosen context.
 */
public final class Session {

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final InputStream in;
  private final Terminal terminal;
  private final Clock clock;
  private String contextName;
  private OutputFormat format = OutputFormat.TABLE;
  private ApiClient api;

  public Session(
      Map<String, String> env,
      PrintStream out,
      PrintStream err,
      InputStream in,
      Terminal terminal,
      Clock clock) {
    this.env = Map.copyOf(env);
    this.out = out;
    this.err = err;
    this.in = in;
    this.terminal = terminal;
    this.clock = clock;
  }

  public Map<String, String> env() {
    return env;
  }

  public PrintStream out() {
    return out;
  }

  public PrintStream err() {
    return err;
  }

  public InputStream in() {
    return in;
  }

  public Terminal terminal() {
    return terminal;
  }

  public Clock clock() {
    return clock;
  }

  public OutputFormat format() {
    return format;
  }

  void format(OutputFormat format) {
    this.format = format == null ? OutputFormat.TABLE : format;
  }

  public String contextName() {
    return contextName;
  }

  void contextName(String name) {
    this.contextName = name;
  }

  public ConfigFile configFile() {
    return ConfigFile.locate(env);
  }

  /** The API client of the chosen context (and environment overrides). */
  public ApiClient api() {
    if (api == null) {
      TokenRefresh.freshen(env, configFile(), contextName, clock);
      api = new ApiClient(ConnectionResolver.resolve(env, configFile(), contextName), version());
    }
    return api;
  }

  /** This command line's version, from the build. */
  public static String version() {
    try (InputStream in = Session.class.getResourceAsStream("/modelfleet-cli.properties")) {
      if (in == null) {
        return "dev";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "dev");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
