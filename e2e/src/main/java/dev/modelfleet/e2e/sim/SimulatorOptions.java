package dev.modelfleet.e2e.sim;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a {@link SimulatedFleet} is started with. A user types it on the command line ({@link
 * #parse}); a test or benchmark builds the same in code ({@link #builder}).
 *
 * @param servers gRPC addresses ({@code host:port}) of the server replicas; devices are spread over
 *     them round-robin and fail over to the next one when their stream is lost
 * @param heartbeatMillis 0: use the interval the server states in SyncConfig
 * @param durationSeconds 0: run until interrupted (Ctrl-C)
 * @param rootKey the fleet root public key (PEM); null: trust the root metadata the first Enroll
 *     returns (fine for load tests, never for a real device)
 * @param behaviours how devices fare with particular versions; the rest are healthy
 * @param requestsPerHeartbeat how many inference requests each device reports per heartbeat for
 *     each version it serves
 * @param downloadDir where to write downloaded bytes (one file per download, deleted once
 *     verified); null: hash them as they arrive and keep nothing
 * @param downloadConcurrency downloads running at once in the whole fleet
 * @param serverCa the fleet CA's certificate (PEM) the server's agent port presents under mutual
 *     TLS; then each device enrolls with a certificate request, as the agent does, and talks to the
 *     server on a channel of its own with its device certificate (one TLS connection per device,
 *     where plaintext devices share one). null: plaintext agent port
 */
public record SimulatorOptions(
    List<String> servers,
    String token,
    int devices,
    long heartbeatMillis,
    List<String> profiles,
    int durationSeconds,
    Path rootKey,
    String namePrefix,
    List<VersionBehaviour> behaviours,
    long requestsPerHeartbeat,
    DownloadPath downloadPath,
    Path downloadDir,
    int downloadConcurrency,
    Path serverCa) {

  static final List<String> KNOWN_PROFILES = List.of("cpu", "cuda", "npu");
  static final long DEFAULT_REQUESTS_PER_HEARTBEAT = 100;
  static final int DEFAULT_DOWNLOAD_CONCURRENCY = 32;

  public SimulatorOptions {
    servers = List.copyOf(servers == null ? List.of() : servers);
    if (servers.isEmpty()) {
      throw new IllegalArgumentException(
          "--server host:port[,host:port...] is required (the gRPC port of each replica)");
    }
    servers.forEach(SimulatorOptions::checkAddress);
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("--token is required (an enrollment token secret)");
    }
    if (devices <= 0) {
      throw new IllegalArgumentException("--devices must be at least 1");
    }
    if (heartbeatMillis < 0) {
      throw new IllegalArgumentException("the heartbeat interval cannot be negative");
    }
    if (durationSeconds < 0) {
      throw new IllegalArgumentException("--duration-seconds cannot be negative");
    }
    profiles = List.copyOf(profiles);
    if (profiles.isEmpty() || !KNOWN_PROFILES.containsAll(profiles)) {
      throw new IllegalArgumentException(
          "--profiles takes a list of " + KNOWN_PROFILES + ", not " + profiles);
    }
    behaviours = List.copyOf(behaviours);
    if (requestsPerHeartbeat < 0) {
      throw new IllegalArgumentException("--requests-per-heartbeat cannot be negative");
    }
    if (downloadPath == null) {
      throw new IllegalArgumentException("--download-path takes grpc, http, https or auto");
    }
    if (downloadPath == DownloadPath.HTTPS && serverCa == null) {
      throw new IllegalArgumentException(
          "--download-path https needs --server-ca (the HTTPS artifact port is for mutual TLS)");
    }
    if (downloadPath == DownloadPath.HTTP && serverCa != null) {
      throw new IllegalArgumentException(
          "--download-path http is plaintext; under mutual TLS (--server-ca) use https, grpc or"
              + " auto");
    }
    if (downloadConcurrency < 1) {
      throw new IllegalArgumentException("--download-concurrency must be at least 1");
    }
  }

  public boolean mutualTls() {
    return serverCa != null;
  }

  /** The one address a single-server fleet uses. */
  public String server() {
    return servers.get(0);
  }

  public static SimulatorOptions parse(String... args) {
    return SimulatorCommandLine.parse(args);
  }

  /** Options with every default but the three that have none. */
  public static Builder builder(String servers, String token, int devices) {
    return new Builder().servers(servers).token(token).devices(devices);
  }

  private static void checkAddress(String address) {
    int colon = address.lastIndexOf(':');
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(address.substring(colon + 1));
      } catch (NumberFormatException e) {
        // refused below
      }
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(
          "--server takes host:port (the gRPC port), not '" + address + "'");
    }
  }

  /** For code: the defaults a bare command line gets, each settable by name. */
  public static final class Builder {
    private List<String> servers = List.of();
    private String token;
    private int devices;
    private long heartbeatMillis;
    private List<String> profiles = KNOWN_PROFILES;
    private int durationSeconds;
    private Path rootKey;
    private String namePrefix = "sim";
    private final List<VersionBehaviour> behaviours = new ArrayList<>();
    private long requestsPerHeartbeat = DEFAULT_REQUESTS_PER_HEARTBEAT;
    private DownloadPath downloadPath = DownloadPath.AUTO;
    private Path downloadDir;
    private int downloadConcurrency = DEFAULT_DOWNLOAD_CONCURRENCY;
    private Path serverCa;

    /** Comma-separated {@code host:port} addresses. */
    public Builder servers(String commaSeparated) {
      servers = SimulatorCommandLine.list(commaSeparated, false);
      return this;
    }

    public Builder token(String value) {
      token = value;
      return this;
    }

    public Builder devices(int value) {
      devices = value;
      return this;
    }

    public Builder heartbeatMillis(long value) {
      heartbeatMillis = value;
      return this;
    }

    public Builder profiles(List<String> value) {
      profiles = value;
      return this;
    }

    public Builder durationSeconds(int value) {
      durationSeconds = value;
      return this;
    }

    public Builder rootKey(Path value) {
      rootKey = value;
      return this;
    }

    public Builder namePrefix(String value) {
      namePrefix = value;
      return this;
    }

    public Builder behaviour(VersionBehaviour value) {
      behaviours.add(value);
      return this;
    }

    public Builder requestsPerHeartbeat(long value) {
      requestsPerHeartbeat = value;
      return this;
    }

    public Builder downloadPath(DownloadPath value) {
      downloadPath = value;
      return this;
    }

    public Builder downloadDir(Path value) {
      downloadDir = value;
      return this;
    }

    public Builder downloadConcurrency(int value) {
      downloadConcurrency = value;
      return this;
    }

    public Builder serverCa(Path value) {
      serverCa = value;
      return this;
    }

    public SimulatorOptions build() {
      return new SimulatorOptions(
          servers,
          token,
          devices,
          heartbeatMillis,
          profiles,
          durationSeconds,
          rootKey,
          namePrefix,
          behaviours,
          requestsPerHeartbeat,
          downloadPath,
          downloadDir,
          downloadConcurrency,
          serverCa);
    }
  }
}
