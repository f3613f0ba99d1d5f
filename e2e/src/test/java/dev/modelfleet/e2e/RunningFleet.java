package dev.modelfleet.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One packaged server for a test class, on free ports and the fork's database (TestDatabase), with
 * a fresh work directory, and every agent the class started stopped after it. Register with
 * {@code @RegisterExtension static final RunningFleet running = new RunningFleet();}.
 */
public final class RunningFleet implements BeforeAllCallback, AfterAllCallback {

  private final Map<String, String> serverEnv;
  private Path workDir;
  private ServerProcess server;
  private Fleet fleet;

  /** A server as deployed: agents connect with mutual TLS. */
  public RunningFleet() {
    this(Map.of());
  }

  private RunningFleet(Map<String, String> serverEnv) {
    this.serverEnv = serverEnv;
  }

  /** A server with these extra environment variables (settings). */
  public static RunningFleet withServerEnv(Map<String, String> env) {
    return new RunningFleet(env);
  }

  /** A server whose agent port runs plaintext, for the fleet simulator. */
  public static RunningFleet plaintextAgents() {
    return new RunningFleet(ServerProcess.PLAINTEXT_AGENTS);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    RepoLayout repo = RepoLayout.find();
    workDir = Files.createTempDirectory("modelfleet-e2e-");
    server = ServerProcess.start(repo, workDir, TestDatabase.NAME, serverEnv);
    fleet = new Fleet(repo, server, workDir);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (fleet != null) {
      fleet.close();
    }
    if (server != null) {
      server.close();
    }
    if (workDir != null) {
      try (var paths = Files.walk(workDir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  public Path workDir() {
    return workDir;
  }

  public ServerProcess server() {
    return server;
  }

  public Fleet fleet() {
    return fleet;
  }
}
