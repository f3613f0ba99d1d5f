package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose stack as an operator runs it: the images built from Debian packages by
 * deploy/images/build.sh, then deploy/compose/compose.yaml brought up with docker-compose against
 * podman's Docker-compatible socket. The server becomes ready on its PostgreSQL, both agents enroll
 * over mutual TLS and serve a model rolled out through the admin API, the health checks of the
 * images pass, and Prometheus has every target configured and reaches it.
 *
 * <p>It needs root, podman, runc and docker-compose (.ci/run installs them) and minutes (a cold
 * build debootstraps the base), so it runs only with MODELFLEET_CONTAINER_TESTS=1, as .ci/run sets.
 */
class ComposeStackTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final RepoLayout REPO = RepoLayout.find();
  private static final List<String> AGENTS = List.of("agent-1", "agent-2");
  private static final Map<String, Integer> AGENT_PORTS = Map.of("agent-1", 8701, "agent-2", 8702);

  @TempDir Path work;

  @Test
  void stackServesARolledOutModelAndPrometheusScrapesEveryTarget() throws Exception {
    assumeTrue(
        "1".equals(System.getenv("MODELFLEET_CONTAINER_TESTS")),
        "container tests run with MODELFLEET_CONTAINER_TESTS=1 (as .ci/run does)");
    assumeTrue(Command.runningAsRoot(), "container tests need root (podman's rootful store)");
    for (String program : List.of("podman", "docker-compose", "debootstrap")) {
      assumeTrue(Command.available(program), program + " is missing: apt-get install " + program);
    }
    long started = System.nanoTime();
    Map<String, String> podman = podmanEnvironment();
    Command build =
        Command.run(
                Duration.ofMinutes(40),
                podman,
                REPO.root(),
                List.of("bash", "deploy/images/build.sh"))
            .ok();
    System.out.printf("compose stack: images built in %d s%n", build.took().toSeconds());

    Path compose = copyComposeFiles();
    try (PodmanService api = PodmanService.start(work.resolve("podman.sock"), podman)) {
      Stack stack = new Stack(compose, api, podman);
      try {
        long upStarted = System.nanoTime();
        stack.compose("up", "-d").ok();
        AdminClient admin = stack.awaitReady();
        System.out.printf(
            "compose stack: up and ready in %d s%n",
            Duration.ofNanos(System.nanoTime() - upStarted).toSeconds());

        Map<String, String> devices = awaitEnrolled(admin);
        String model = "compose-" + UUID.randomUUID().toString().substring(0, 8);
        admin.post("/api/v1/models", Map.of("name", model, "description", "compose stack test"));
        admin.post("/api/v1/models/" + model + "/versions", Map.of("version", "1"));
        admin.upload(
            "/api/v1/models/" + model + "/versions/1/variants?precision=fp32&executionProvider=cpu",
            SampleModels.classifier(1));
        admin.post(
            "/api/v1/models/" + model + "/versions/1/assignments",
            Map.of("selector", "site=compose"));
        for (String id : devices.values()) {
          awaitActive(admin, id, model);
        }
        for (String agent : AGENTS) {
          JsonNode answer = stack.infer(agent, model);
          assertEquals(SampleModels.OUTPUT, answer.path("outputs").get(0).path("name").asText());
          assertEquals("1", answer.path("model_version").asText());
        }

        for (String service : List.of("db", "server", "prometheus", "agent-1", "agent-2")) {
          stack.podman("healthcheck", "run", stack.container(service)).ok();
        }
        for (String service : List.of("server", "prometheus", "agent-1", "agent-2")) {
          assertEquals(
              "true",
              stack
                  .podman(
                      "inspect",
                      "--format",
                      "{{.HostConfig.ReadonlyRootfs}}",
                      stack.container(service))
                  .ok()
                  .output()
                  .strip(),
              service + " runs on a read-only root file system");
          String uid =
              stack.podman("exec", stack.container(service), "id", "-u").ok().output().strip();
          assertNotEquals("0", uid, service + " runs as root");
        }

        assertPrometheusScrapesEveryTarget(stack);
        System.out.printf(
            "compose stack: test done in %d s%n",
            Duration.ofNanos(System.nanoTime() - started).toSeconds());
      } catch (RuntimeException | AssertionError e) {
        System.out.println(stack.compose("logs", "--no-color", "--tail", "40").output());
        throw e;
      } finally {
        stack.down();
      }
    }
  }

  /**
   * Every scrape target is configured and Prometheus reaches it. Whether the target is "up" depends
   * on the metrics endpoint existing: where it answers 200, the target must be up; where it does
   * not exist yet (404), Prometheus must have got that 404 from it, which shows it is configured
   * right and reaches the process. Prometheus may have scraped a target before its process listened
   * (a refused connection), so the wait lasts until a later scrape shows the expected result, and a
   * timeout reports what Prometheus saw last.
   */
  private static void assertPrometheusScrapesEveryTarget(Stack stack) {
    Map<String, Integer> expected = new HashMap<>();
    expected.put("http://server:8080/q/metrics", stack.serverMetricsStatus());
    for (String agent : AGENTS) {
      expected.put(
          "http://127.0.0.1:" + AGENT_PORTS.get(agent) + "/metrics",
          stack.agentMetricsStatus(agent));
    }
    HttpClient http = HttpClient.newHttpClient();
    URI targets = URI.create("http://127.0.0.1:" + stack.prometheusPort + "/api/v1/targets");
    Waits.until(
        "Prometheus to scrape every target with the expected result",
        Duration.ofMinutes(2),
        () -> {
          Map<String, JsonNode> byUrl = new HashMap<>();
          for (JsonNode target : get(http, targets).path("data").path("activeTargets")) {
            byUrl.put(target.path("scrapeUrl").asText(), target);
          }
          for (Map.Entry<String, Integer> want : expected.entrySet()) {
            JsonNode target = byUrl.get(want.getKey());
            if (target == null) {
              throw new IllegalStateException(
                  want.getKey() + " is not a target: " + byUrl.keySet());
            }
            if (!scrapeAsExpected(target, want.getValue())) {
              throw new IllegalStateException(
                  want.getKey() + " answers " + want.getValue() + " but Prometheus saw: " + target);
            }
          }
          return true;
        });
  }

  private static boolean scrapeAsExpected(JsonNode target, int status) {
    if (target.path("lastScrape").asText().startsWith("0001-")) {
      return false; // not scraped yet
    }
    return status == 200
        ? "up".equals(target.path("health").asText())
        : target.path("lastError").asText().contains(String.valueOf(status));
  }

  private static Map<String, String> awaitEnrolled(AdminClient admin) {
    return Waits.until(
        "both agents to enroll and connect",
        Duration.ofMinutes(2),
        () -> {
          Map<String, String> ids = new HashMap<>();
          for (JsonNode device : admin.getAll("/api/v1/devices")) {
            String name = device.path("name").asText();
            if (name.startsWith("compose-agent-")
                && "active".equals(device.path("status").asText())) {
              ids.put(name, device.path("id").asText());
            }
          }
          return ids.size() == AGENTS.size() ? ids : null;
        });
  }

  private static void awaitActive(AdminClient admin, String deviceId, String model) {
    Waits.until(
        model + " ACTIVE on " + deviceId,
        Duration.ofMinutes(2),
        () -> {
          for (JsonNode deployment : admin.get("/api/v1/devices/" + deviceId).path("deployments")) {
            if (model.equals(deployment.path("model").asText())) {
              String state = deployment.path("state").asText();
              if ("FAILED".equalsIgnoreCase(state)) {
                throw new IllegalStateException(deployment.toString());
              }
              return "ACTIVE".equalsIgnoreCase(state);
            }
          }
          return false;
        });
  }

  private static JsonNode get(HttpClient http, URI uri) {
    try {
      return JSON.readTree(
          http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
              .body());
    } catch (IOException e) {
      throw new IllegalStateException(uri + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** podman as the images were built for: the CI configuration unless the caller names one. */
  private static Map<String, String> podmanEnvironment() {
    Map<String, String> env = new HashMap<>();
    if (System.getenv("CONTAINERS_CONF") == null) {
      env.put("CONTAINERS_CONF", REPO.root().resolve("deploy/images/podman-ci.conf").toString());
    }
    return env;
  }

  /** deploy/compose and deploy/observability side by side in the work folder, with secrets. */
  private Path copyComposeFiles() throws IOException {
    for (String dir : List.of("compose", "observability")) {
      Path from = REPO.root().resolve("deploy").resolve(dir);
      try (Stream<Path> paths = Files.walk(from)) {
        for (Path path : paths.toList()) {
          String relative = from.relativize(path).toString();
          if (relative.endsWith(".env") || relative.equals("grafana-admin-password")) {
            continue; // a developer's own secrets stay where they are
          }
          Path target = work.resolve(dir).resolve(relative);
          if (Files.isDirectory(path)) {
            Files.createDirectories(target);
          } else {
            Files.copy(path, target);
          }
        }
      }
    }
    Path compose = work.resolve("compose");
    Command.run(Duration.ofSeconds(30), compose.resolve("make-secrets.sh").toString()).ok();
    return compose;
  }

  /** The running stack: docker-compose under a project name of its own, on free host ports. */
  private static final class Stack {
    final String project = "mfstack" + UUID.randomUUID().toString().substring(0, 8);
    final int httpPort = Ports.free();
    final int grpcPort = Ports.free();
    final int artifactPort = Ports.free();
    final int prometheusPort = Ports.free();
    private final Path dir;
    private final Map<String, String> env = new HashMap<>();
    private final Map<String, String> podmanEnv;

    Stack(Path dir, PodmanService service, Map<String, String> podmanEnv) {
      this.dir = dir;
      this.podmanEnv = podmanEnv;
      env.putAll(podmanEnv);
      env.put("DOCKER_HOST", "unix://" + service.socket());
      env.put("COMPOSE_HTTP_TIMEOUT", "600");
      env.put("MODELFLEET_HTTP_PORT", String.valueOf(httpPort));
      env.put("MODELFLEET_GRPC_PORT", String.valueOf(grpcPort));
      env.put("MODELFLEET_ARTIFACT_PORT", String.valueOf(artifactPort));
      env.put("MODELFLEET_PROMETHEUS_PORT", String.valueOf(prometheusPort));
    }

    Command compose(String... args) {
      List<String> argv =
          new ArrayList<>(List.of("docker-compose", "-p", project, "-f", "compose.yaml"));
      argv.addAll(List.of(args));
      return Command.run(Duration.ofMinutes(10), env, dir, argv);
    }

    /**
     * docker-compose down, again while anything of the project is left: podman refuses to remove
     * Prometheus' container while the agents sharing its network namespace exist, and
     * docker-compose removes them all at once.
     */
    void down() {
      for (int attempt = 0; attempt < 3 && !leftOver().isEmpty(); attempt++) {
        compose("down", "-v", "--remove-orphans");
      }
      assertEquals("", leftOver(), "containers and volumes of " + project + " left behind");
    }

    private String leftOver() {
      String label = "label=com.docker.compose.project=" + project;
      return (podman("ps", "-a", "-q", "--filter", label).output()
              + podman("volume", "ls", "-q", "--filter", label).output())
          .strip();
    }

    Command podman(String... args) {
      List<String> argv = new ArrayList<>(List.of("podman"));
      argv.addAll(List.of(args));
      return Command.run(Duration.ofMinutes(2), podmanEnv, null, argv);
    }

    String container(String service) {
      return project + "_" + service + "_1";
    }

    AdminClient awaitReady() throws IOException {
      Properties admin = new Properties();
      try (var reader = Files.newBufferedReader(dir.resolve("admin.env"))) {
        admin.load(reader);
      }
      URI base = URI.create("http://127.0.0.1:" + httpPort);
      HttpClient http = HttpClient.newHttpClient();
      Waits.until(
          "the server to report ready on " + base,
          Duration.ofMinutes(5),
          () -> {
            try {
              HttpRequest ready = HttpRequest.newBuilder(base.resolve("/q/health/ready")).build();
              return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          });
      return new AdminClient(base, admin.getProperty("MODELFLEET_ADMIN_TOKEN"));
    }

    /** Calls the agent's inference API from inside its container: it listens on 127.0.0.1 only. */
    JsonNode infer(String agent, String model) throws IOException {
      String request =
          "{\"inputs\":[{\"name\":\""
              + SampleModels.INPUT
              + "\",\"datatype\":\"FP32\","
              + "\"shape\":[1,4],\"data\":[1,2,3,4]}]}";
      String answer =
          podman(
                  "exec",
                  container(agent),
                  "busybox",
                  "wget",
                  "-q",
                  "-O",
                  "-",
                  "--header",
                  "Content-Type: application/json",
                  "--post-data",
                  request,
                  "http://127.0.0.1:" + AGENT_PORTS.get(agent) + "/v2/models/" + model + "/infer")
              .ok()
              .output();
      return JSON.readTree(answer);
    }

    int serverMetricsStatus() {
      try {
        HttpRequest metrics =
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/metrics"))
                .build();
        return HttpClient.newHttpClient()
            .send(metrics, HttpResponse.BodyHandlers.discarding())
            .statusCode();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** 200, or the error status busybox wget names ("server returned error: HTTP/1.1 404 ..."). */
    int agentMetricsStatus(String agent) {
      Command fetch =
          podman(
              "exec",
              container(agent),
              "busybox",
              "wget",
              "-q",
              "-O",
              "/dev/null",
              "http://127.0.0.1:" + AGENT_PORTS.get(agent) + "/metrics");
      if (fetch.exitCode() == 0) {
        return 200;
      }
      var status = java.util.regex.Pattern.compile("HTTP/1\\.1 (\\d{3})").matcher(fetch.output());
      assertTrue(status.find(), "no HTTP status from the agent's /metrics: " + fetch.output());
      return Integer.parseInt(status.group(1));
    }
  }

  /** podman's Docker-compatible API on a socket of its own, for docker-compose. */
  private record PodmanService(Process process, Path socket) implements AutoCloseable {
    static PodmanService start(Path socket, Map<String, String> env) throws IOException {
      ProcessBuilder builder =
          new ProcessBuilder("podman", "system", "service", "--time=0", "unix://" + socket)
              .redirectErrorStream(true)
              .redirectOutput(socket.resolveSibling("podman-service.log").toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      Waits.until(
          "podman's API socket " + socket,
          Duration.ofSeconds(30),
          () -> {
            if (!process.isAlive()) {
              throw new IllegalStateException(
                  "podman system service exited with " + process.exitValue());
            }
            return Files.exists(socket);
          });
      return new PodmanService(process, socket);
    }

    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
