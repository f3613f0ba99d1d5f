package dev.modelfleet.agent.lifecycle;

import dev.modelfleet.agent.bundle.ImportOutcome;
import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.session.SyncSession;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The command line: {@code run} the agent, or write a {@code sample-model}. */
public final class AgentMain {

  static final String USAGE =
      """
      Usage: java -jar modelfleet-agent.jar COMMAND [OPTIONS]

      Commands:
        run                 run the agent (enroll once, sync, serve local inference)
        status              what the agent on this device is doing (identity, server,
                            connection, models desired/installed/serving, last sync,
                            certificate expiry, pending downloads); options: --config FILE,
                            --state-dir DIR, --json. Run it as the agent's user
        import-bundle FILE  install an offline bundle (modelfleet bundle create): checked as
                            online (root chain from the pinned keys, signatures, expiry,
                            generation, device id, hardware, sha256), then swapped in by the
                            running agent; with none running, installed into the state dir
                            for its next start. Options: --config FILE, --state-dir DIR
        sample-model OUT    write a small sample ONNX classifier to OUT
        version             print the agent version
        help                show this text

      Options of run (each overrides the same key in --config):
        --config FILE       Java properties file; keys as the options below without "--"
                            (chmod 600 when it holds the token: the agent checks)
        --server HOST:PORT  control plane gRPC address (without one, an enrolled device
                            serves its models and takes offline bundles only)
        --token TOKEN       enrollment token (needed only for the first start)
        --root-key FILE     fleet root public key(s), PEM, from GET /api/v1/trust/root.pem
        --server-ca FILE    fleet CA certificate, PEM, from GET /api/v1/trust/fleet-ca.pem:
                            mutual TLS with a device certificate (without it: plaintext)
        --certificate-renewal-percent N   renew the device certificate after N% of its
                            lifetime (default 67)
                            (needed for the first start; pinned in the state dir after)
        --state-dir DIR     where identity, state and models live (default /var/lib/modelfleet-agent)
        --http-port N       local inference API port (default 8700, 0 = any free)
        --grpc-port N       Open Inference Protocol gRPC port (default -1 = off, 0 = any free)
        --bind-address IP   where the local APIs listen (default 127.0.0.1)
        --api-token TOKEN   bearer token the local APIs then ask for (beyond loopback)
        --name NAME         device name to ask for (default: the hostname)
        --inference-threads N   inference requests served at once, HTTP and gRPC (default max(4, cores))
        --ort-threads N     ONNX Runtime intra-op threads per call (default 0 = ONNX Runtime's choice)
        --simulate-profile FILE   play the device described in FILE (JSON; see docs/agent.md)
        --simulate-provider-fallback true|false   report simulated providers as used (false)
                            or as the CPU fallback they really run on (true, default)
        --download-min-bytes-per-second N   abandon (and retry later) a download slower than
                            this over the window (default 16384; 0 = never)
        --download-rate-window-seconds N    that window (default 30)
        --metered true|false   the link is billed by the byte: policies for metered links bind
                            this device (default false)
        --time-zone ZONE    zone for download windows a policy names none for (default: system)
        --keep-old-versions N   versions kept per model besides the active one (default 1)
        --clock-offset-seconds N   TEST ONLY: shift the download policy's clock (default 0)
        --config-version N  the configuration's format version, which agent releases may
                            require a minimum of (default 1)
        --offline-heartbeat-interval N   seconds between the heartbeats kept while no session
                            is open, sent with their times on reconnect (default 300, 0 = none)
        --verbose           log download progress and other detail
        --log-format text|json   one line of text per event (default), or one JSON object
                            (also MODELFLEET_AGENT_LOG_FORMAT)
        Every key can also be set as MODELFLEET_AGENT_<KEY> (upper case, "_" for "-"):
        a flag wins over the variable, the variable over the file.

      Options of sample-model:
        --seed N            weights seed (default 1); two seeds give two versions of one model
      """;

  /** Every key of {@code AgentConfig.KEYS} as a flag, and --config (RunOptionsTest). */
  static final Set<String> RUN_OPTIONS =
      Set.of(
          "--config",
          "--server",
          "--token",
          "--root-key",
          "--state-dir",
          "--http-port",
          "--name",
          "--inference-threads",
          "--ort-threads",
          "--simulate-profile",
          "--simulate-provider-fallback",
          "--download-min-bytes-per-second",
          "--download-rate-window-seconds",
          "--server-ca",
          "--certificate-renewal-percent",
          "--bind-address",
          "--grpc-port",
          "--api-token",
          "--metered",
          "--time-zone",
          "--keep-old-versions",
          "--clock-offset-seconds",
          "--config-version",
          "--offline-heartbeat-interval");

  private AgentMain() {}

  public static void main(String[] args) {
    unpooledNettyBuffers();
    int code = run(args, System.out, System.err);
    if (code >= 0) {
      System.exit(code);
    }
  }

  /**
   * gRPC's Netty keeps pooled buffer arenas and per-thread caches, which pay off for a server with
   * many busy connections; the agent has one control stream and a local API, and unpooled buffers
   * measured 3 MB less resident with the same inference overhead (docs/benchmarks.md, the agent's
   * footprint). Set before any Netty class loads; -D on the command line still wins.
   */
  private static void unpooledNettyBuffers() {
    String allocator = "io.grpc.netty.shaded.io.netty.allocator.type";
    if (System.getProperty(allocator) == null) {
      System.setProperty(allocator, "unpooled");
    }
  }

  /** Returns an exit code, or -1 when the agent keeps running in its own threads. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || Set.of("help", "--help", "-h").contains(args[0])) {
      out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    try {
      return switch (args[0]) {
        case "run" -> runAgent(args);
        case "sample-model" -> sampleModel(args, out);
        case "status" -> status(args, out);
        case "import-bundle" -> importBundle(args, out, err);
        case "version", "--version" -> {
          out.println("modelfleet-agent " + Agent.VERSION);
          yield 0;
        }
        default -> throw new ConfigException("unknown command '" + args[0] + "'; try --help");
      };
    } catch (ConfigException e) {
      err.println("modelfleet-agent: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("modelfleet-agent: " + e.getMessage());
      return 1;
    }
  }

  /**
   * Asks the running agent ({@code GET /agent/status} on the port in {@code inference.port}); with
   * none answering, reads the state directory. 0 when the agent runs, 3 when it does not.
   */
  private static int status(String[] args, PrintStream out) throws ConfigException, IOException {
    Map<String, String> flags = new HashMap<>();
    Path configFile = null;
    boolean json = false;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> configFile = Path.of(value(args, i++));
        case "--state-dir" -> flags.put("state-dir", value(args, i++));
        case "--json" -> json = true;
        default -> throw new ConfigException("unknown option " + args[i] + " for status");
      }
    }
    AgentConfig config = AgentConfig.load(configFile, System.getenv(), flags);
    Path stateDir = config.stateDir();
    if (!java.nio.file.Files.isReadable(stateDir) || !java.nio.file.Files.isExecutable(stateDir)) {
      throw new ConfigException(
          "cannot read the state directory "
              + stateDir
              + ": run status as the agent's user (e.g. sudo -u modelfleet modelfleet-agent"
              + " status), or give --state-dir / --config");
    }
    byte[] document = StatusClient.ask(config);
    boolean running = document != null;
    if (!running) {
      document = AgentStatus.json(config, Agent.VERSION, null);
    }
    out.print(
        json
            ? new String(document, java.nio.charset.StandardCharsets.UTF_8) + "\n"
            : AgentStatus.text(document));
    return running ? 0 : 3;
  }

  /**
   * Hands the bundle to the agent running on this device (its hot swap path); with none answering,
   * imports it here into the state directory, for the agent's next start.
   */
  private static int importBundle(String[] args, PrintStream out, PrintStream err)
      throws ConfigException, IOException {
    Map<String, String> flags = new HashMap<>();
    Path configFile = null;
    Path file = null;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> configFile = Path.of(value(args, i++));
        case "--state-dir" -> flags.put("state-dir", value(args, i++));
        default -> {
          if (args[i].startsWith("--")) {
            throw new ConfigException("unknown option " + args[i] + " for import-bundle");
          }
          file = Path.of(args[i]).toAbsolutePath();
        }
      }
    }
    if (file == null) {
      throw new ConfigException("import-bundle needs the bundle file: import-bundle FILE");
    }
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new ConfigException("no bundle file at " + file);
    }
    AgentConfig config = AgentConfig.load(configFile, System.getenv(), flags);
    byte[] answer = StatusClient.importBundle(config, file);
    if (answer != null) {
      return ImportOutcome.print(ImportOutcome.parse(answer), out, err);
    }
    out.println("no agent answers on this device; importing into " + config.stateDir());
    NativeLibraryCache.use(config.stateDir().resolve("native"));
    try (Agent agent = new Agent(config)) {
      agent.openStore();
      agent.startOffline();
      return ImportOutcome.print(agent.importBundle(file), out, err);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static int sampleModel(String[] args, PrintStream out)
      throws ConfigException, IOException {
    Path target = null;
    long seed = 1;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--seed")) {
        seed = parseLong(value(args, i++), "--seed");
      } else if (args[i].startsWith("--")) {
        throw new ConfigException("unknown option " + args[i] + " for sample-model");
      } else {
        target = Path.of(args[i]);
      }
    }
    if (target == null) {
      throw new ConfigException("sample-model needs an output file: sample-model OUT.onnx");
    }
    SampleModels.writeClassifier(target, seed);
    out.println("wrote " + target + " (sample classifier, seed " + seed + ")");
    return 0;
  }

  private static java.util.logging.Formatter logFormat(String name) throws ConfigException {
    return switch (name) {
      case "text" -> new OneLineLogFormat();
      case "json" -> new JsonLineLogFormat();
      default ->
          throw new ConfigException(
              "--log-format (or MODELFLEET_AGENT_LOG_FORMAT) is text or json, not '" + name + "'");
    };
  }

  private static int runAgent(String[] args) throws ConfigException, IOException {
    Map<String, String> flags = new HashMap<>();
    Path configFile = null;
    boolean verbose = false;
    String logFormat = System.getenv().getOrDefault("MODELFLEET_AGENT_LOG_FORMAT", "text");
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--verbose")) {
        verbose = true;
      } else if (arg.equals("--log-format")) {
        logFormat = value(args, i++);
      } else if (arg.equals("--config")) {
        configFile = Path.of(value(args, i++));
      } else if (RUN_OPTIONS.contains(arg)) {
        flags.put(arg.substring(2), value(args, i++));
      } else {
        throw new ConfigException("unknown option " + arg + " for run; try --help");
      }
    }
    OneLineLogFormat.install(verbose, logFormat(logFormat));
    AgentConfig config = AgentConfig.load(configFile, System.getenv(), flags);
    NativeLibraryCache.use(config.stateDir().resolve("native"));
    Agent agent = new Agent(config);
    if (config.server() == null) {
      Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "shutdown"));
      agent.startLocal();
      agent.startOffline();
      try {
        Thread.currentThread().join();
      } catch (InterruptedException e) {
        return 0;
      }
      return 0;
    }
    agent.checkConfigForSync();
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "shutdown"));
    agent.startLocal();
    try {
      SyncSession sync = agent.connect();
      SyncSession.Stop stop = sync.awaitStop();
      // Sync stopped for good (credential refused, replaced): keep serving local inference.
      if (stop != SyncSession.Stop.CLOSED) {
        Thread.currentThread().join();
      }
      return 0;
    } catch (InterruptedException e) {
      return 0;
    }
  }

  private static String value(String[] args, int i) throws ConfigException {
    if (i + 1 >= args.length) {
      throw new ConfigException(args[i] + " needs a value");
    }
    return args[i + 1];
  }

  private static long parseLong(String value, String option) throws ConfigException {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new ConfigException(option + " must be a number, got '" + value + "'");
    }
  }
}
