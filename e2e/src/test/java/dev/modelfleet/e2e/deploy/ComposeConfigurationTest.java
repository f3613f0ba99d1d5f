package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose stack's files against the server's real configuration, without running anything: the
 * server's settings, the secrets make-secrets.sh writes, and the Prometheus scrape configuration
 * (the server's /q/metrics on its HTTP port, every agent's /metrics on its local inference port).
 * {@link ComposeStackTest} runs the stack itself.
 */
class ComposeConfigurationTest {

  private static final RepoLayout REPO = RepoLayout.find();
  private static final ServerSettings SERVER = ServerSettings.read(REPO);
  private static final YAMLMapper YAML = new YAMLMapper();

  @TempDir Path secrets;

  @Test
  void serverGetsOnlyItsOwnSettingsAndItsSecretsFromFilesWithoutDefaults() throws IOException {
    JsonNode server = service("server");
    List<String> names = new ArrayList<>();
    server.path("environment").fieldNames().forEachRemaining(names::add);
    names.addAll(secretNames(server));
    for (String name : names) {
      assertTrue(SERVER.accepts(name), name + " is no setting of the server");
    }
    assertTrue(
        secretNames(server)
            .containsAll(
                Set.of(
                    "MODELFLEET_ADMIN_TOKEN",
                    "QUARKUS_DATASOURCE_PASSWORD",
                    "QUARKUS_FLYWAY_PASSWORD")));
    assertFalse(compose().contains("change-me"), "no example secret in compose.yaml");
    List<String> ports = new ArrayList<>();
    server.path("ports").forEach(p -> ports.add(p.asText().replaceAll(".*:", "")));
    assertEquals(
        List.of(
            String.valueOf(SERVER.httpPort()),
            String.valueOf(SERVER.grpcPort()),
            String.valueOf(SERVER.artifactPort())),
        ports);
    assertTrue(server.path("read_only").asBoolean());
  }

  @Test
  void makeSecretsWritesLongRandomOwnerOnlySecretsAndKeepsThemOnASecondRun() throws IOException {
    Path script = REPO.root().resolve("deploy/compose/make-secrets.sh");
    Command.run(Duration.ofSeconds(30), script.toString(), secrets.toString()).ok();
    Properties admin = properties(secrets.resolve("admin.env"));
    String token = admin.getProperty("MODELFLEET_ADMIN_TOKEN");
    assertTrue(token.length() >= 32, "the server refuses tokens under 32 characters");
    for (String file : List.of("admin.env", "database.env", "grafana-admin-password")) {
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve(file))),
          file);
    }
    Properties database = properties(secrets.resolve("database.env"));
    assertTrue(database.getProperty("QUARKUS_DATASOURCE_PASSWORD").length() >= 32);
    assertTrue(database.getProperty("QUARKUS_FLYWAY_PASSWORD").length() >= 32);

    Command.run(Duration.ofSeconds(30), script.toString(), secrets.toString()).ok();
    assertEquals(
        token, properties(secrets.resolve("admin.env")).getProperty("MODELFLEET_ADMIN_TOKEN"));
  }

  @Test
  void prometheusScrapesTheServerAndEveryAgentWhereTheirMetricsAre() throws IOException {
    JsonNode prometheus =
        YAML.readTree(REPO.root().resolve("deploy/compose/prometheus.yml").toFile());
    JsonNode serverJob = job(prometheus, "modelfleet-server");
    assertEquals("/q/metrics", serverJob.path("metrics_path").asText());
    assertEquals(List.of("server:" + SERVER.httpPort()), targets(serverJob));

    // each agent listens on 127.0.0.1 at its --http-port, in Prometheus' network namespace
    Set<String> agentTargets = new HashSet<>();
    JsonNode services = YAML.readTree(compose()).path("services");
    services
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode command = e.getValue().path("command");
              if (e.getKey().startsWith("agent-")) {
                assertEquals(
                    "service:prometheus", e.getValue().path("network_mode").asText(), e.getKey());
                for (int i = 0; i < command.size() - 1; i++) {
                  if (command.get(i).asText().equals("--http-port")) {
                    agentTargets.add("127.0.0.1:" + command.get(i + 1).asText());
                  }
                }
              }
            });
    assertEquals(2, agentTargets.size(), "two agents, each on its own port");
    JsonNode agentJob = job(prometheus, "modelfleet-agent");
    assertEquals("/metrics", agentJob.path("metrics_path").asText());
    assertEquals(agentTargets, new HashSet<>(targets(agentJob)));
  }

  private static JsonNode job(JsonNode prometheus, String name) {
    for (JsonNode job : prometheus.path("scrape_configs")) {
      if (name.equals(job.path("job_name").asText())) {
        return job;
      }
    }
    throw new AssertionError("no scrape job " + name);
  }

  private static List<String> targets(JsonNode job) {
    List<String> targets = new ArrayList<>();
    job.path("static_configs")
        .forEach(c -> c.path("targets").forEach(t -> targets.add(t.asText())));
    return targets;
  }

  /** The names the service's env files hold, from the files make-secrets.sh writes. */
  private Set<String> secretNames(JsonNode service) throws IOException {
    Command.run(
            Duration.ofSeconds(30),
            REPO.root().resolve("deploy/compose/make-secrets.sh").toString(),
            secrets.toString())
        .ok();
    Set<String> names = new HashSet<>();
    for (JsonNode file : service.path("env_file")) {
      properties(secrets.resolve(file.asText())).stringPropertyNames().forEach(names::add);
    }
    return names;
  }

  private static JsonNode service(String name) throws IOException {
    return YAML.readTree(compose()).path("services").path(name);
  }

  private static String compose() throws IOException {
    return Files.readString(REPO.root().resolve("deploy/compose/compose.yaml"));
  }

  private static Properties properties(Path file) throws IOException {
    Properties properties = new Properties();
    try (var reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    }
    return properties;
  }
}
