package dev.modelfleet.agent.config;

import dev.modelfleet.agent.download.ThroughputFloor;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The agent's settings: a Java properties file ({@code --config}) whose keys are the flag names
 * without dashes, overridden by flags. See docs/agent.md for every key.
 *
 * @param exposedToken set when the config file holds a token other users can read; the agent then
 *     refuses to enroll (see Agent#checkConfigForSync)
 */
public record AgentConfig(
    String server,
    String token,
    Path rootKey,
    Path stateDir,
    int httpPort,
    String name,
    int inferenceThreads,
    int ortThreads,
    Path simulateProfile,
    boolean simulateProviderFallback,
    ThroughputFloor downloadFloor,
    Path serverCa,
    int certificateRenewalPercent,
    ExposedToken exposedToken) {

  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/modelfleet-agent");
  public static final int DEFAULT_HTTP_PORT = 8700;

  static final Set<String> KEYS =
      Set.of(
          "server",
          "token",
          "root-key",
          "state-dir",
          "http-port",
          "name",
          "inference-threads",
          "ort-threads",
          "simulate-profile",
          "simulate-provider-fallback",
          "download-min-bytes-per-second",
          "download-rate-window-seconds",
          "server-ca",
          "certificate-renewal-percent");

  /** Merges a properties file (may be null) with flag values (key → value; flags win). */
  public static AgentConfig load(Path configFile, Map<String, String> flags)
      throws ConfigException {
    Properties properties = new Properties();
    ExposedToken exposedToken = null;
    if (configFile != null) {
      try (Reader reader = Files.newBufferedReader(configFile)) {
        properties.load(reader);
      } catch (IOException e) {
        throw new ConfigException("cannot read config file " + configFile + ": " + e.getMessage());
      }
      for (String key : properties.stringPropertyNames()) {
        if (!KEYS.contains(key)) {
          throw new ConfigException(
              "unknown key '" + key + "' in " + configFile + "; known keys: " + KEYS);
        }
      }
      exposedToken = ExposedToken.of(configFile, properties);
    }
    flags.forEach(properties::setProperty);
    String stateDir = value(properties, "state-dir");
    String rootKey = value(properties, "root-key");
    String server = value(properties, "server");
    String simulateProfile = value(properties, "simulate-profile");
    String serverCa = value(properties, "server-ca");
    if (server != null && !server.matches("[^:/\\s]+:\\d{1,5}")) {
      throw new ConfigException(
          "server '" + server + "' is not host:port (e.g. fleet.example:9000)");
    }
    return new AgentConfig(
        server,
        value(properties, "token"),
        rootKey == null ? null : Path.of(rootKey),
        stateDir == null ? DEFAULT_STATE_DIR : Path.of(stateDir),
        integer(properties, "http-port", DEFAULT_HTTP_PORT, 0, 65535),
        value(properties, "name"),
        integer(
            properties,
            "inference-threads",
            Math.max(4, Runtime.getRuntime().availableProcessors()),
            1,
            1024),
        integer(properties, "ort-threads", 0, 0, 1024),
        simulateProfile == null ? null : Path.of(simulateProfile),
        bool(properties, "simulate-provider-fallback", true),
        new ThroughputFloor(
            integer(
                properties,
                "download-min-bytes-per-second",
                (int) ThroughputFloor.DEFAULT.minBytesPerSecond(),
                0,
                Integer.MAX_VALUE),
            1000L
                * integer(
                    properties,
                    "download-rate-window-seconds",
                    (int) (ThroughputFloor.DEFAULT.windowMillis() / 1000),
                    1,
                    3600)),
        serverCa == null ? null : Path.of(serverCa),
        integer(properties, "certificate-renewal-percent", 67, 1, 99),
        exposedToken);
  }

  private static boolean bool(Properties properties, String key, boolean fallback)
      throws ConfigException {
    String value = value(properties, key);
    if (value == null) {
      return fallback;
    }
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new ConfigException(key + " must be true or false, got '" + value + "'");
    };
  }

  private static String value(Properties properties, String key) {
    String value = properties.getProperty(key);
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static int integer(Properties properties, String key, int fallback, int min, int max)
      throws ConfigException {
    String value = value(properties, key);
    if (value == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed < min || parsed > max) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new ConfigException(
          key + " must be a number from " + min + " to " + max + ", got '" + value + "'");
    }
  }
}
