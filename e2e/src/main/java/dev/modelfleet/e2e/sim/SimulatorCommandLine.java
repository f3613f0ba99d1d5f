package dev.modelfleet.e2e.sim;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Reads {@link SimulatorOptions} off the command line, with messages that name the flag. */
final class SimulatorCommandLine {

  static final String USAGE =
      """
      usage: SimulatedFleet --server host:port[,host:port...] --token T --devices N
               [--heartbeat-seconds S | --heartbeat-millis MS] [--profiles cpu,cuda,npu]
               [--duration-seconds D] [--root-key root.pub.pem] [--name-prefix sim]
               [--behaviour [model@]version:key=value,...]...
               [--requests-per-heartbeat R] [--download-path grpc|http|https|auto]
               [--download-dir DIR] [--download-concurrency C] [--server-ca fleet-ca.pem]
      Enrolls N simulated devices with one enrollment token (it needs N uses left) and keeps
      them syncing over the real agent protocol, without ONNX Runtime. Several --server
      addresses spread the devices over replicas; a device whose stream is lost moves on to
      the next one. Behaviour keys: error-rate, p50-ms, p95-ms, provider, fail-share,
      fail-code, silent-share (e.g. --behaviour 2.0:error-rate=0.2,p95-ms=40,provider=cpu).
      --server-ca: the server's agent port runs mutual TLS; each device enrolls with a
      certificate request and connects with its own certificate (one connection per device);
      --download-path https (or auto) then downloads over the server's HTTPS artifact port.""";

  private SimulatorCommandLine() {}

  static SimulatorOptions parse(String... args) {
    SimulatorOptions.Builder options = new SimulatorOptions.Builder();
    boolean heartbeatGiven = false;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (!flag.startsWith("--")) {
        throw new IllegalArgumentException("unexpected '" + flag + "' (options start with --)");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--server", "--servers" -> options.servers(value);
        case "--token" -> options.token(value);
        case "--devices" -> options.devices(whole(flag, value));
        case "--heartbeat-seconds", "--heartbeat-millis" -> {
          if (heartbeatGiven) {
            throw new IllegalArgumentException(
                "give the heartbeat interval once, with --heartbeat-seconds or --heartbeat-millis");
          }
          heartbeatGiven = true;
          options.heartbeatMillis(
              flag.equals("--heartbeat-millis") ? whole(flag, value) : millisOf(flag, value));
        }
        case "--duration-seconds" -> options.durationSeconds(whole(flag, value));
        case "--profiles" -> options.profiles(list(value, true));
        case "--root-key" -> options.rootKey(Path.of(value));
        case "--name-prefix" -> options.namePrefix(value);
        case "--behaviour", "--behavior" -> options.behaviour(VersionBehaviour.parse(value));
        case "--requests-per-heartbeat" -> options.requestsPerHeartbeat(whole(flag, value));
        case "--download-path" -> options.downloadPath(DownloadPath.parse(value));
        case "--download-dir" -> options.downloadDir(Path.of(value));
        case "--download-concurrency" -> options.downloadConcurrency(whole(flag, value));
        case "--server-ca" -> options.serverCa(Path.of(value));
        default -> throw new IllegalArgumentException("unknown option " + flag);
      }
    }
    return options.build();
  }

  private static int whole(String flag, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " takes a whole number, not '" + value + "'");
    }
  }

  /** Seconds with a fraction (0.25) as whole milliseconds; finer than a millisecond is refused. */
  private static long millisOf(String flag, String value) {
    BigDecimal millis;
    try {
      millis = new BigDecimal(value.trim()).movePointRight(3);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          flag + " takes a number of seconds (e.g. 0.5), not '" + value + "'");
    }
    if (millis.signum() < 0) {
      throw new IllegalArgumentException(flag + " cannot be negative");
    }
    if (millis.stripTrailingZeros().scale() > 0) {
      throw new IllegalArgumentException(
          flag + " " + value + " is finer than a millisecond; use --heartbeat-millis");
    }
    return millis.longValueExact();
  }

  static List<String> list(String value, boolean lowerCase) {
    List<String> items = new ArrayList<>();
    if (value == null) {
      return items;
    }
    for (String item : value.split(",")) {
      if (!item.isBlank()) {
        String trimmed = item.trim();
        items.add(lowerCase ? trimmed.toLowerCase(Locale.ROOT) : trimmed);
      }
    }
    return items;
  }
}
