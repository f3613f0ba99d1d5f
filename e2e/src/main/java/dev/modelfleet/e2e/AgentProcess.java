package dev.modelfleet.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real agent (the runnable jar) in its own JVM with its own state directory. */
public final class AgentProcess extends ManagedProcess {

  /**
   * The JVM flags the agent is run with, the same as deploy/agent/modelfleet-agent.service
   * (overridable with -Dmodelfleet.agent.jvmFlags="..." to measure others).
   */
  public static final List<String> JVM_FLAGS =
      List.of(
          System.getProperty(
                  "modelfleet.agent.jvmFlags",
                  "-XX:+UseSerialGC -Xmx48m -Xmn8m -Xss512k"
                      + " -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:-UsePerfData"
                      + " -XX:+IgnoreUnrecognizedVMOptions -XX:TrimNativeHeapInterval=5000")
              .split(" "));

  /**
   * Which agent to run: a jar and the JVM flags to run it with. Benchmarks compare two (the
   * footprint section: a baseline build against this one); everything else runs {@link #of}.
   */
  public record Build(String name, Path jar, List<String> jvmFlags) {

    /** This checkout's agent/target/modelfleet-agent.jar with {@link #JVM_FLAGS}. */
    public static Build of(RepoLayout repo) {
      return new Build("current", repo.agentJar(), JVM_FLAGS);
    }
  }

  /** glibc's per-thread malloc arenas cost resident memory that ONNX Runtime does not need. */
  public static final Map<String, String> ENVIRONMENT = Map.of("MALLOC_ARENA_MAX", "2");

  private final Path stateDir;
  private final int httpPort;
  private final Duration startToListening;

  private AgentProcess(String name, List<String> command, Path stateDir) {
    this(name, command, ENVIRONMENT, stateDir);
  }

  private AgentProcess(String name, List<String> command, Map<String, String> env, Path stateDir) {
    super(name, command, env, stateDir.resolveSibling(name + ".log"));
    this.stateDir = stateDir;
    long started = System.nanoTime();
    this.httpPort = waitForInferencePort();
    this.startToListening = Duration.ofNanos(System.nanoTime() - started);
  }

  /**
   * Starts an agent. {@code enrollmentToken} may be null for an agent that enrolled before and
   * keeps its identity in {@code stateDir}.
   */
  public static AgentProcess start(
      RepoLayout repo,
      String name,
      String serverTarget,
      String enrollmentToken,
      Path rootKey,
      Path stateDir,
      String... extraArgs) {
    return start(Build.of(repo), name, serverTarget, enrollmentToken, rootKey, stateDir, extraArgs);
  }

  /**
   * Like {@link #start(RepoLayout, String, String, String, Path, Path, String...)}, of {@code
   * build}.
   */
  public static AgentProcess start(
      Build build,
      String name,
      String serverTarget,
      String enrollmentToken,
      Path rootKey,
      Path stateDir,
      String... extraArgs) {
    try {
      Files.createDirectories(stateDir);
      Files.deleteIfExists(stateDir.resolve("inference.port"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new ArrayList<>(List.of(ServerProcess.javaBin()));
    command.addAll(build.jvmFlags());
    command.addAll(
        List.of(
            "-jar",
            build.jar().toString(),
            "run",
            "--server",
            serverTarget,
            "--root-key",
            rootKey.toString(),
            "--state-dir",
            stateDir.toString(),
            "--http-port",
            "0",
            "--name",
            name));
    if (enrollmentToken != null) {
      command.add("--token");
      command.add(enrollmentToken);
    }
    command.addAll(List.of(extraArgs));
    return new AgentProcess(name, command, stateDir);
  }

  /**
   * Starts an agent the way deploy/agent/modelfleet-agent.service does: under
   * deploy/agent/modelfleet-agent-launcher, which restarts it into a new release and goes back when
   * that release is not healthy within {@code healthDeadline}. The inference API listens on {@code
   * httpPort} so that clients find it again after a restart.
   */
  public static AgentProcess startSupervised(
      RepoLayout repo,
      String name,
      String serverTarget,
      String enrollmentToken,
      Path rootKey,
      Path stateDir,
      int httpPort,
      Duration healthDeadline,
      String... extraArgs) {
    try {
      Files.createDirectories(stateDir);
      Files.deleteIfExists(stateDir.resolve("inference.port"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // the launcher takes the agent's own command line, as the systemd unit's ExecStart has it
    List<String> command =
        new ArrayList<>(
            List.of(
                "bash",
                repo.root().resolve("deploy/agent/modelfleet-agent-launcher").toString(),
                ServerProcess.javaBin()));
    command.addAll(JVM_FLAGS);
    command.addAll(
        List.of(
            "-jar",
            repo.agentJar().toString(),
            "run",
            "--server",
            serverTarget,
            "--root-key",
            rootKey.toString(),
            "--state-dir",
            stateDir.toString(),
            "--http-port",
            Integer.toString(httpPort),
            "--name",
            name,
            "--token",
            enrollmentToken));
    command.addAll(List.of(extraArgs));
    Map<String, String> env = new java.util.HashMap<>(ENVIRONMENT);
    env.put("MODELFLEET_LAUNCHER_HEALTH_DEADLINE", Long.toString(healthDeadline.toSeconds()));
    return new AgentProcess(name, command, env, stateDir);
  }

  /**
   * Starts an agent with no server address on a state directory where it enrolled before: it serves
   * its models and imports bundles (its pinned root key is in the state directory).
   */
  public static AgentProcess startOffline(
      RepoLayout repo, String name, Path stateDir, String... extraArgs) {
    try {
      Files.deleteIfExists(stateDir.resolve("inference.port"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new ArrayList<>(List.of(ServerProcess.javaBin()));
    command.addAll(JVM_FLAGS);
    command.addAll(
        List.of(
            "-jar",
            repo.agentJar().toString(),
            "run",
            "--state-dir",
            stateDir.toString(),
            "--http-port",
            "0"));
    command.addAll(List.of(extraArgs));
    return new AgentProcess(name + "-offline", command, stateDir);
  }

  public URI inferenceUri() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  public Path stateDir() {
    return stateDir;
  }

  /** From process start until its inference API accepted connections. */
  public Duration startToListening() {
    return startToListening;
  }

  private int waitForInferencePort() {
    Path portFile = stateDir.resolve("inference.port");
    return Waits.until(
        name() + " to open its inference API (log: " + log() + ")",
        Duration.ofSeconds(60),
        () -> {
          requireAliveFor("starting");
          try {
            String text = Files.exists(portFile) ? Files.readString(portFile).trim() : "";
            return text.isEmpty() ? null : Integer.parseInt(text);
          } catch (IOException | NumberFormatException e) {
            return null;
          }
        });
  }
}
