package dev.modelfleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Operator steps against a running server, written the way the docs tell an operator to do them:
 * mint a token, start an agent with it, publish a version, assign it, watch the devices.
 */
public final class Fleet implements AutoCloseable {

  private final RepoLayout repo;
  private final ServerProcess server;
  private final AdminClient admin;
  private final Path workDir;
  private final Path rootKey;
  private final Path serverCa;
  private final List<AgentProcess> agents = new ArrayList<>();
  private final Map<String, String> deviceIds = new java.util.concurrent.ConcurrentHashMap<>();

  public Fleet(RepoLayout repo, ServerProcess server, Path workDir) {
    this.repo = repo;
    this.server = server;
    this.admin = server.admin();
    this.workDir = workDir;
    this.rootKey = workDir.resolve("root.pub.pem");
    // both delivered out of band, as an operator would: the pinned root key and the fleet CA
    this.serverCa = server.mutualTls() ? workDir.resolve("fleet-ca.pem") : null;
    try {
      Files.writeString(rootKey, admin.getText("/api/v1/trust/root.pem"));
      if (serverCa != null) {
        Files.writeString(serverCa, admin.getText("/api/v1/trust/fleet-ca.pem"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public AdminClient admin() {
    return admin;
  }

  public ServerProcess server() {
    return server;
  }

  /** Mints a one-use token with these labels, starts an agent with it, waits until enrolled. */
  public AgentProcess startAgent(String name, Map<String, String> labels, String... extraArgs) {
    String token = mintToken(name, labels);
    AgentProcess agent =
        AgentProcess.start(
            repo,
            name,
            server.grpcTarget(),
            token,
            rootKey,
            workDir.resolve(name),
            withTls(extraArgs));
    agents.add(agent);
    deviceIdOf(agent);
    return agent;
  }

  /**
   * Like {@link #startAgent}, but under the agent's launcher, as systemd runs it: it can update
   * itself (see {@link AgentProcess#startSupervised}).
   */
  public AgentProcess startSupervisedAgent(
      String name, Map<String, String> labels, int httpPort, Duration healthDeadline) {
    AgentProcess agent =
        AgentProcess.startSupervised(
            repo,
            name,
            server.grpcTarget(),
            mintToken(name, labels),
            rootKey,
            workDir.resolve(name),
            httpPort,
            healthDeadline,
            withTls());
    agents.add(agent);
    deviceIdOf(agent);
    return agent;
  }

  /** Like {@link #startAgent}, of {@code build} (a benchmark's baseline, say). */
  public AgentProcess startAgent(
      AgentProcess.Build build, String name, Map<String, String> labels, String... extraArgs) {
    AgentProcess agent =
        AgentProcess.start(
            build,
            name,
            server.grpcTarget(),
            mintToken(name, labels),
            rootKey,
            workDir.resolve(name),
            withTls(extraArgs));
    agents.add(agent);
    deviceIdOf(agent);
    return agent;
  }

  /** Starts again an agent of {@code build} that enrolled before, connected to this server. */
  public AgentProcess restartAgent(AgentProcess.Build build, String name, String... extraArgs) {
    AgentProcess agent =
        AgentProcess.start(
            build,
            name,
            server.grpcTarget(),
            null,
            rootKey,
            workDir.resolve(name),
            withTls(extraArgs));
    agents.add(agent);
    return agent;
  }

  /** The pinned root key file the agents were started with. */
  public Path rootKey() {
    return rootKey;
  }

  /** Starts again an agent that enrolled before (its identity in its state directory). */
  public AgentProcess restartAgent(String name, String... extraArgs) {
    AgentProcess agent =
        AgentProcess.start(
            repo,
            name,
            server.grpcTarget(),
            null,
            rootKey,
            workDir.resolve(name),
            withTls(extraArgs));
    agents.add(agent);
    return agent;
  }

  /**
   * Starts an agent that enrolled before with no server address: it serves its models and takes
   * offline bundles only.
   */
  public AgentProcess startOfflineAgent(String name, String... extraArgs) {
    AgentProcess agent = AgentProcess.startOffline(repo, name, workDir.resolve(name), extraArgs);
    agents.add(agent);
    return agent;
  }

  /** The fleet CA's certificate (PEM) under mutual TLS; null with a plaintext agent port. */
  public Path serverCa() {
    return serverCa;
  }

  /** The agent options for this server's transport: {@code --server-ca} with mutual TLS. */
  public String[] withTls(String... args) {
    if (serverCa == null) {
      return args;
    }
    String[] all = java.util.Arrays.copyOf(args, args.length + 2);
    all[args.length] = "--server-ca";
    all[args.length + 1] = serverCa.toString();
    return all;
  }

  public String mintToken(String name, Map<String, String> labels) {
    JsonNode token =
        admin.post(
            "/api/v1/enrollment-tokens",
            Map.of("name", name, "labels", labels, "maxUses", 1, "expiresInSeconds", 3600));
    return token.path("token").asText();
  }

  /** The device id an agent enrolled as, once the server lists it (looked up once). */
  public String deviceIdOf(AgentProcess agent) {
    return deviceIds.computeIfAbsent(agent.name(), name -> findDeviceId(agent));
  }

  private String findDeviceId(AgentProcess agent) {
    return Waits.until(
        agent.name() + " to enroll (log: " + agent.log() + ")",
        Duration.ofSeconds(60),
        () -> {
          agent.requireAliveFor("enrolling");
          // The server lists a device once Enroll answered, a moment before the agent has saved
          // its identity: a test that stops the agent in between would leave it unenrolled.
          if (!java.nio.file.Files.exists(agent.stateDir().resolve("identity.json"))) {
            return null;
          }
          for (JsonNode device : admin.getAll("/api/v1/devices")) {
            if (agent.name().equals(device.path("name").asText())) {
              return device.path("id").asText();
            }
          }
          return null;
        });
  }

  public void createModel(String model) {
    admin.post("/api/v1/models", Map.of("name", model, "description", "created by " + model));
  }

  public void createVersion(String model, String version) {
    admin.post("/api/v1/models/" + model + "/versions", Map.of("version", version));
  }

  public JsonNode uploadVariant(String model, String version, byte[] onnx) {
    return admin.upload(
        variantsPath(model, version) + "?precision=fp32&executionProvider=cpu", onnx);
  }

  /**
   * {@code query}: the variant's declaration, e.g. {@code precision=fp16&executionProvider=cuda}.
   */
  public JsonNode uploadVariant(String model, String version, String query, byte[] onnx) {
    return admin.upload(variantsPath(model, version) + "?" + query, onnx);
  }

  public JsonNode uploadVariant(String model, String version, Path onnx) {
    return admin.upload(
        variantsPath(model, version) + "?precision=fp32&executionProvider=cpu", onnx);
  }

  public JsonNode assign(String model, String version, String selector) {
    return admin.post(
        "/api/v1/models/" + model + "/versions/" + version + "/assignments",
        Map.of("selector", selector));
  }

  /**
   * Waits until every agent reports {@code model} at {@code version} ACTIVE, printing each device's
   * deployment state as it changes; fails early when one reports FAILED.
   */
  public void awaitActive(
      String model,
      String version,
      List<AgentProcess> on,
      Duration timeout,
      Consumer<String> progress) {
    Map<String, String> lastSeen = new java.util.HashMap<>();
    Waits.until(
        model + " " + version + " ACTIVE on " + on.size() + " devices",
        timeout,
        () -> {
          boolean all = true;
          for (AgentProcess agent : on) {
            agent.requireAliveFor("deploying");
            JsonNode status = deploymentOf(deviceIdOf(agent), model);
            String state =
                status.path("state").asText("pending").toUpperCase(java.util.Locale.ROOT);
            String line =
                agent.name()
                    + ": "
                    + state
                    + text(status, "version", " ")
                    + text(status, "reason", " because: ");
            if (!line.equals(lastSeen.put(agent.name(), line))) {
              progress.accept(line);
            }
            if ("FAILED".equals(state) && version.equals(status.path("version").asText())) {
              throw new Waits.GaveUp(line);
            }
            all &= "ACTIVE".equals(state) && version.equals(status.path("version").asText());
          }
          return all;
        });
  }

  /** The device's deployment status for one model, as GET /api/v1/devices/{id} shows it. */
  public JsonNode deploymentOf(String deviceId, String model) {
    for (JsonNode deployment : admin.get("/api/v1/devices/" + deviceId).path("deployments")) {
      if (model.equals(deployment.path("model").asText())) {
        return deployment;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** A field as text after a prefix, or nothing when it is absent or null. */
  private static String text(JsonNode node, String field, String prefix) {
    JsonNode value = node.path(field);
    return value.isMissingNode() || value.isNull() ? "" : prefix + value.asText();
  }

  private static String variantsPath(String model, String version) {
    return "/api/v1/models/" + model + "/versions/" + version + "/variants";
  }

  @Override
  public void close() {
    agents.forEach(AgentProcess::close);
    agents.clear();
  }
}
