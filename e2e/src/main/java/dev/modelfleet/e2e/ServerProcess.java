package dev.modelfleet.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The packaged control plane (quarkus-run.jar) in its own JVM, on free ports. */
public final class ServerProcess extends ManagedProcess {

  /**
   * The JVM flags the server is run with, the same as deploy/server/modelfleet-server.service
   * (overridable with -Dmodelfleet.server.jvmFlags="..." to measure others).
   */
  public static final List<String> JVM_FLAGS =
      List.of(
          System.getProperty(
                  "modelfleet.server.jvmFlags",
                  "-XX:+UseSerialGC -Xms32m -Xmx256m -XX:-UsePerfData")
              .split(" "));

  /**
   * Environment for a server whose agent port runs plaintext (the production default is mutual
   * TLS): for the fleet simulator, which multiplexes many devices over one connection.
   */
  public static final Map<String, String> PLAINTEXT_AGENTS =
      Map.of("MODELFLEET_AGENT_TLS_MODE", "off");

  private final int httpPort;
  private final int grpcPort;
  private final String adminToken;
  private final Setup setup;
  private final Duration startToReady;

  private ServerProcess(
      List<String> command,
      Map<String, String> env,
      Path log,
      Path directory,
      int httpPort,
      int grpcPort,
      Setup setup,
      String logName) {
    super(logName, command, env, log, directory);
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.adminToken = setup.adminToken();
    this.setup = setup;
    long started = System.nanoTime();
    waitUntilReady();
    this.startToReady = Duration.ofNanos(System.nanoTime() - started);
  }

  /**
   * Starts a server whose keys and artifacts live under {@code workDir} and whose state is in the
   * PostgreSQL database {@code database} on 127.0.0.1:5432.
   */
  public static ServerProcess start(RepoLayout repo, Path workDir, String database) {
    return start(repo, workDir, database, Map.of());
  }

  public static ServerProcess start(
      RepoLayout repo, Path workDir, String database, Map<String, String> extraEnv) {
    return start(repo, workDir, database, extraEnv, JVM_FLAGS);
  }

  /**
   * A server run with other JVM flags than the deployed ones, e.g. the larger heap an operator
   * gives a replica that holds tens of thousands of agents.
   */
  public static ServerProcess start(
      RepoLayout repo,
      Path workDir,
      String database,
      Map<String, String> extraEnv,
      List<String> jvmFlags) {
    return launch(
        new Setup(repo, workDir, database, "e2e-" + UUID.randomUUID(), extraEnv, jvmFlags),
        "server");
  }

  /**
   * Another replica of this server: the same database, key and artifact directories (shared
   * storage, as replicas behind a load balancer have) and admin token, its own ports and log.
   */
  public ServerProcess replica(String name, Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>(setup.extraEnv());
    env.putAll(extraEnv);
    return launch(
        new Setup(
            setup.repo(), setup.workDir(), setup.database(), adminToken, env, setup.jvmFlags()),
        name);
  }

  /**
   * This server started again once its process has ended (killed, crashed, stopped): the same
   * settings, database, key and artifact directories, admin token and ports, so agents and clients
   * find it where it was, as after a restart by systemd. Its output goes to {@code logName}.log.
   */
  public ServerProcess startAgain(String logName) {
    if (isAlive()) {
      throw new IllegalStateException(name() + " is still running: stop or kill it first");
    }
    return new ServerProcess(
        command(setup),
        environment(setup, httpPort, grpcPort),
        setup.workDir().resolve(logName + ".log"),
        app(setup),
        httpPort,
        grpcPort,
        setup,
        logName);
  }

  private record Setup(
      RepoLayout repo,
      Path workDir,
      String database,
      String adminToken,
      Map<String, String> extraEnv,
      List<String> jvmFlags) {}

  /** How a start the server refused ended: its exit status and what it printed. */
  public record Refusal(int exitCode, String output) {}

  /**
   * Starts a server with {@code envChanges} on top of the usual environment (a null value removes a
   * variable) and waits for it to stop by itself, as a server refusing its settings does. Fails
   * when it is still running after a minute: it accepted them.
   */
  public static Refusal startExpectingRefusal(
      RepoLayout repo, Path workDir, String database, Map<String, String> envChanges) {
    Setup setup =
        new Setup(repo, workDir, database, "e2e-" + UUID.randomUUID(), envChanges, JVM_FLAGS);
    Path log = workDir.resolve("refused-" + UUID.randomUUID() + ".log");
    ManagedProcess server =
        new ManagedProcess(
            "refused server",
            command(setup),
            environment(setup, Ports.free(), Ports.free()),
            log,
            app(setup));
    try (server) {
      int exitCode =
          server
              .awaitExit(Duration.ofSeconds(60))
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "the server started with "
                              + envChanges.keySet()
                              + " instead of refusing to; its log ends with:\n"
                              + server.logTail(40)));
      return new Refusal(exitCode, server.logTail(200));
    }
  }

  private static ServerProcess launch(Setup setup, String logName) {
    int httpPort = Ports.free();
    int grpcPort = Ports.free();
    return new ServerProcess(
        command(setup),
        environment(setup, httpPort, grpcPort),
        setup.workDir().resolve(logName + ".log"),
        app(setup),
        httpPort,
        grpcPort,
        setup,
        logName);
  }

  private static Map<String, String> environment(Setup setup, int httpPort, int grpcPort) {
    Path workDir = setup.workDir();
    Map<String, String> env = new HashMap<>();
    env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
    env.put("QUARKUS_GRPC_SERVER_PORT", Integer.toString(grpcPort));
    // the HTTPS artifact port (mutual TLS) on a free port of the server's own choosing: agents
    // learn it from the Sync stream
    env.put("MODELFLEET_AGENT_TLS_ARTIFACT_PORT", "0");
    env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/" + setup.database());
    // the roles deploy/dev/ensure-postgres.sh makes: the server runs as modelfleet_app, which
    // may only read and write rows; migrations run as postgres, which owns the schema
    env.put("QUARKUS_DATASOURCE_USERNAME", "modelfleet_app");
    env.put("QUARKUS_DATASOURCE_PASSWORD", "modelfleet_app");
    env.put("QUARKUS_FLYWAY_USERNAME", "postgres");
    env.put("QUARKUS_FLYWAY_PASSWORD", "postgres");
    env.put("MODELFLEET_ADMIN_TOKEN", setup.adminToken());
    env.put("MODELFLEET_KEY_DIR", workDir.resolve("keys").toString());
    env.put("MODELFLEET_ARTIFACT_DIR", workDir.resolve("artifacts").toString());
    env.putAll(setup.extraEnv());
    return env;
  }

  /**
   * Run from the quarkus-app folder, as the systemd unit does: the class-data-sharing archive built
   * with the application only matches that relative class path.
   */
  private static Path app(Setup setup) {
    return setup.repo().serverJar().getParent();
  }

  private static List<String> command(Setup setup) {
    List<String> command = new java.util.ArrayList<>(List.of(javaBin()));
    command.addAll(setup.jvmFlags());
    if (Files.exists(app(setup).resolve("app-cds.jsa"))) {
      command.add("-XX:SharedArchiveFile=app-cds.jsa");
    }
    command.addAll(List.of("-jar", "quarkus-run.jar"));
    return command;
  }

  public static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  public String grpcTarget() {
    return "127.0.0.1:" + grpcPort;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public Duration startToReady() {
    return startToReady;
  }

  /** The bootstrap admin token, for tools that log in with it (the command line's tests). */
  public String adminToken() {
    return adminToken;
  }

  public AdminClient admin() {
    return new AdminClient(baseUri(), adminToken);
  }

  /**
   * Whether agents must use mutual TLS (the server's default unless started with PLAINTEXT_AGENTS).
   */
  public boolean mutualTls() {
    return !"off"
        .equalsIgnoreCase(setup.extraEnv().getOrDefault("MODELFLEET_AGENT_TLS_MODE", "mutual"));
  }

  /**
   * Whether plain HTTP answers only with a redirect or not at all (QUARKUS_HTTP_INSECURE_REQUESTS
   * redirect or disabled): then the admin API is on HTTPS alone, at {@link #httpsUri()}.
   */
  public boolean httpsOnly() {
    String insecure = setup.extraEnv().getOrDefault("QUARKUS_HTTP_INSECURE_REQUESTS", "enabled");
    return !"enabled".equalsIgnoreCase(insecure);
  }

  /** The HTTPS admin port a test configured with QUARKUS_HTTP_SSL_PORT. */
  public URI httpsUri() {
    String port = setup.extraEnv().get("QUARKUS_HTTP_SSL_PORT");
    if (port == null) {
      throw new IllegalStateException("this server was started without QUARKUS_HTTP_SSL_PORT");
    }
    return URI.create("https://localhost:" + port);
  }

  private void waitUntilReady() {
    // Readiness only: whether the certificate is right is what the HTTPS tests check themselves.
    HttpClient http =
        httpsOnly()
            ? HttpClient.newBuilder().sslContext(TrustingAnyCertificate.sslContext()).build()
            : HttpClient.newHttpClient();
    URI base = httpsOnly() ? httpsUri() : baseUri();
    HttpRequest ready = HttpRequest.newBuilder(base.resolve("/q/health/ready")).build();
    try {
      Waits.until(
          "the server to report ready on " + base + " (log: " + log() + ")",
          // generous: on the shared 2-core machine at load 30+ a start alone took over a minute
          Duration.ofSeconds(180),
          () -> {
            requireAliveFor("starting");
            try {
              return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (java.io.IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          });
    } catch (IllegalStateException e) {
      // the log lives in a temporary directory that is gone by the time anyone reads the report
      throw new IllegalStateException(e.getMessage() + "; its log ends with:\n" + logTail(40), e);
    }
  }
}
