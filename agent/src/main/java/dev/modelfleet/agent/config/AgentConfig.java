package dev.modelfleet.agent.config;

import dev.modelfleet.agent.download.ThroughputFloor;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The agent's settings: a Java properties file ({@code --config}) whose keys are the flag names
 * without dashes, overridden by environment variables ({@code MODELFLEET_AGENT_} and the key in
 * upper case with underscores: {@code grpc-port} is {@code MODELFLEET_AGENT_GRPC_PORT}), overridden
 * by flags. See docs/agent.md for every key.
 *
 * @param exposedToken set when the config file holds a token other users can read; the agent then
 *     refuses to enroll (see Agent#checkConfigForSync)
 * @param configVersion the format of this configuration ({@code config-version}, default 1): an
 *     agent release that needs a higher one is not installed (its manifest's min_config_version)
 * @param exposedApiToken set when the config file holds an {@code api-token} other users can read;
 *     the agent then refuses to open its local API (see Agent#startLocal)
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
    ExposedToken exposedToken,
    InetAddress bindAddress,
    int grpcPort,
    String apiToken,
    boolean metered,
    java.time.ZoneId timeZone,
    int keepOldVersions,
    long clockOffsetSeconds,
    int configVersion,
    ExposedToken exposedApiToken,
    int offlineHeartbeatIntervalSeconds) {

  /** {@code grpc-port} when the Open Inference Protocol gRPC endpoint is off (the default). */
  public static final int GRPC_OFF = -1;

  /** The prefix of the environment variables that set keys. */
  public static final String ENV_PREFIX = "MODELFLEET_AGENT_";

  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/modelfleet-agent");
  public static final int DEFAULT_HTTP_PORT = 8700;

  /** Every key a config file, an environment variable or a flag of {@code run} may set. */
  public static final Set<String> KEYS =
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
          "certificate-renewal-percent",
          "bind-address",
          "grpc-port",
          "api-token",
          "metered",
          "time-zone",
          "keep-old-versions",
          "clock-offset-seconds",
          "config-version",
          "offline-heartbeat-interval");

  /** The environment variable for {@code key}: MODELFLEET_AGENT_ and the key upper-cased. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  /** Merges a properties file (may be null) with flag values, the environment ignored. */
  public static AgentConfig load(Path configFile, Map<String, String> flags)
      throws ConfigException {
    return load(configFile, Map.of(), flags);
  }

  /**
   * Merges a properties file (may be null), the environment ({@link #envName}; other variables
   * ignored) and flag values (key → value): flags win over the environment, which wins over the
   * file.
   */
  public static AgentConfig load(
      Path configFile, Map<String, String> environment, Map<String, String> flags)
      throws ConfigException {
    Properties properties = new Properties();
    ExposedToken exposedToken = null;
    ExposedToken exposedApiToken = null;
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
      exposedToken = ExposedToken.of(configFile, properties, "token");
      exposedApiToken = ExposedToken.of(configFile, properties, "api-token");
    }
    for (String key : KEYS) {
      String value = environment.get(envName(key));
      if (value != null) {
        properties.setProperty(key, value);
      }
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
        exposedToken,
        bindAddress(value(properties, "bind-address")),
        integer(properties, "grpc-port", GRPC_OFF, GRPC_OFF, 65535),
        value(properties, "api-token"),
        bool(properties, "metered", false),
        zone(value(properties, "time-zone")),
        integer(properties, "keep-old-versions", 1, 0, 16),
        // Test-only: shifts the clock the download policy reads (windows, budget days), so that
        // tests cross midnight or a window's opening without waiting hours.
        integer(properties, "clock-offset-seconds", 0, -366 * 86_400, 366 * 86_400),
        // no upper bound: a release reverted to must still start with a configuration made for
        // the newer one it went back from
        integer(properties, "config-version", 1, 1, 1_000),
        exposedApiToken,
        // one heartbeat kept per this many seconds without a session (0: none kept)
        integer(properties, "offline-heartbeat-interval", 300, 0, 86_400));
  }

  /** An IANA zone id, or the system's zone when unset. */
  private static java.time.ZoneId zone(String value) throws ConfigException {
    if (value == null) {
      return java.time.ZoneId.systemDefault();
    }
    try {
      return java.time.ZoneId.of(value);
    } catch (java.time.DateTimeException e) {
      throw new ConfigException(
          "time-zone '" + value + "' is not a time zone id (e.g. Europe/Berlin, UTC)");
    }
  }

  /** The download policy's clock, shifted by {@code clock-offset-seconds} (0 outside tests). */
  public java.time.Clock policyClock() {
    return java.time.Clock.offset(
        java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(clockOffsetSeconds));
  }

  /** A literal address only: a name would need DNS at start, and could change under the agent. */
  private static InetAddress bindAddress(String value) throws ConfigException {
    if (value == null) {
      return InetAddress.getLoopbackAddress();
    }
    if (!value.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?")) {
      throw new ConfigException(
          "bind-address '"
              + value
              + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1); the local API listens"
              + " on one address");
    }
    try {
      return InetAddress.getByName(value);
    } catch (java.net.UnknownHostException e) {
      throw new ConfigException("bind-address '" + value + "' is not an IP address");
    }
  }

  /** Whether the local API can be reached from beyond this machine's loopback. */
  public boolean apiBeyondLoopback() {
    return !bindAddress.isLoopbackAddress();
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
