package dev.modelfleet.e2e.sim;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The command line of {@link SimulatedFleet}. Parsed into a record so that a test can build
 * the same options in code that a user types on the command line.
 *
 * @param heartbeatSeconds 0: use the interval the server states in SyncConfig
 * @param durationSeconds 0: run until interrupted (Ctrl-C)
 * @param rootKey the fleet root public key (PEM); null: trust the root metadata the first
 *     Enroll returns (fine for load tests, never for a real device)
 */
public record SimulatorOptions(String server, String token, int devices, int heartbeatSeconds,
    List<String> profiles, int durationSeconds, Path rootKey, String namePrefix) {

  static final List<String> KNOWN_PROFILES = List.of("cpu", "cuda", "npu");

  public static final String USAGE = """
      usage: SimulatedFleet --server host:port --token T --devices N
                            [--heartbeat-seconds S] [--profiles cpu,cuda,npu]
                            [--duration-seconds D] [--root-key root.pub.pem] [--name-prefix sim]
      Enrolls N simulated devices with one enrollment token (it needs N uses left) and keeps
      them syncing over the real agent protocol, without ONNX Runtime.""";

  public SimulatorOptions {
    if (server == null || server.lastIndexOf(':') <= 0) {
      throw new IllegalArgumentException("--server host:port is required (the gRPC port)");
    }
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("--token is required (an enrollment token secret)");
    }
    if (devices <= 0) {
      throw new IllegalArgumentException("--devices must be at least 1");
    }
    if (heartbeatSeconds < 0 || durationSeconds < 0) {
      throw new IllegalArgumentException("seconds cannot be negative");
    }
    profiles = List.copyOf(profiles);
    if (profiles.isEmpty() || !KNOWN_PROFILES.containsAll(profiles)) {
      throw new IllegalArgumentException("--profiles takes a list of " + KNOWN_PROFILES);
    }
  }

  public static SimulatorOptions parse(String... args) {
    String server = null;
    String token = null;
    int devices = 0;
    int heartbeat = 0;
    int duration = 0;
    List<String> profiles = KNOWN_PROFILES;
    Path rootKey = null;
    String prefix = "sim";
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--server" -> server = value;
        case "--token" -> token = value;
        case "--devices" -> devices = number(flag, value);
        case "--heartbeat-seconds" -> heartbeat = number(flag, value);
        case "--duration-seconds" -> duration = number(flag, value);
        case "--profiles" -> profiles = list(value);
        case "--root-key" -> rootKey = Path.of(value);
        case "--name-prefix" -> prefix = value;
        default -> throw new IllegalArgumentException("unknown option " + flag);
      }
    }
    return new SimulatorOptions(
        server, token, devices, heartbeat, profiles, duration, rootKey, prefix);
  }

  private static int number(String flag, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " takes a whole number, not '" + value + "'");
    }
  }

  private static List<String> list(String value) {
    List<String> items = new ArrayList<>();
    for (String item : value.split(",")) {
      if (!item.isBlank()) {
        items.add(item.trim().toLowerCase(Locale.ROOT));
      }
    }
    return items;
  }
}
