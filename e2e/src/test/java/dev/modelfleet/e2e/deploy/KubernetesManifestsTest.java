package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every overlay of deploy/k8s, rendered with {@code kubectl kustomize} as an operator applies it,
 * against the server's real configuration: container ports, probe paths, environment variable
 * names, Secret names and keys, volumes, Services, the disruption budget and the ServiceMonitor.
 */
class KubernetesManifestsTest {

  private static final RepoLayout REPO = RepoLayout.find();
  private static final ServerSettings SERVER = ServerSettings.read(REPO);

  /** The Secrets an operator creates for production, as docs/operations.md shows. */
  private static final Set<String> OPERATOR_SECRETS =
      Set.of("modelfleet-admin", "modelfleet-database", "modelfleet-keys");

  @TempDir Path work;

  @BeforeAll
  static void kubectlIsThere() {
    assumeTrue(
        Command.available("kubectl"),
        "kubectl is not installed: the Kubernetes manifests are not rendered");
  }

  static Stream<String> overlays() throws IOException {
    try (Stream<Path> dirs = Files.list(REPO.root().resolve("deploy/k8s/overlays"))) {
      return dirs.map(dir -> dir.getFileName().toString()).sorted().toList().stream();
    }
  }

  @Test
  void everyOverlayIsRenderedHere() throws IOException {
    assertEquals(List.of("dev", "production"), overlays().toList());
  }

  @Test
  void theSettingsReaderKnowsTheServersNamesAndNoOthers() {
    assertTrue(SERVER.accepts("MODELFLEET_AGENT_TLS_SERVER_NAMES"));
    assertTrue(SERVER.accepts("QUARKUS_FLYWAY_PASSWORD"));
    assertFalse(SERVER.accepts("MODELFLEET_KEYDIR"));
    assertEquals(8080, SERVER.httpPort());
    assertEquals(9090, SERVER.grpcPort());
    assertEquals(9443, SERVER.artifactPort());
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void serverRunsReplicatedWithTheServersPortsProbesAndSettings(String overlay) throws Exception {
    Rendered rendered = render(overlay);
    JsonNode deployment = rendered.one("Deployment", "modelfleet-server");
    assertTrue(deployment.path("spec").path("replicas").asInt() >= 2, "replicas");
    JsonNode pod = deployment.path("spec").path("template");
    JsonNode server = container(pod, "server");

    Map<String, Integer> ports = new HashMap<>();
    server
        .path("ports")
        .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    assertEquals(
        Map.of(
            "http", SERVER.httpPort(),
            "grpc", SERVER.grpcPort(),
            "artifacts", SERVER.artifactPort()),
        ports);

    assertProbe(server, "startupProbe", "/q/health/live");
    assertProbe(server, "livenessProbe", "/q/health/live");
    assertProbe(server, "readinessProbe", "/q/health/ready");

    Map<String, String> env = new HashMap<>();
    for (JsonNode from : server.path("envFrom")) {
      String name = from.path("configMapRef").path("name").asText();
      rendered
          .one("ConfigMap", name)
          .path("data")
          .fields()
          .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    for (JsonNode variable : server.path("env")) {
      env.put(variable.path("name").asText(), variable.path("value").asText(null));
    }
    for (String name : env.keySet()) {
      assertTrue(SERVER.accepts(name), name + " is no setting of the server");
    }
    assertEquals(String.valueOf(SERVER.httpPort()), env.get("QUARKUS_HTTP_PORT"));
    assertEquals(String.valueOf(SERVER.grpcPort()), env.get("QUARKUS_GRPC_SERVER_PORT"));
    assertEquals(
        String.valueOf(SERVER.artifactPort()), env.get("MODELFLEET_AGENT_TLS_ARTIFACT_PORT"));
    // what a production server refuses to start without
    for (String required :
        List.of(
            "MODELFLEET_ADMIN_TOKEN",
            "QUARKUS_DATASOURCE_PASSWORD",
            "QUARKUS_FLYWAY_PASSWORD",
            "QUARKUS_DATASOURCE_JDBC_URL")) {
      assertTrue(env.containsKey(required), required + " is not set");
    }

    // keys and artifacts on writable volumes, the rest of the root file system read-only
    Map<String, JsonNode> mounts = new HashMap<>();
    server.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), m));
    for (String dir : List.of("MODELFLEET_KEY_DIR", "MODELFLEET_ARTIFACT_DIR", "/tmp")) {
      String path = dir.startsWith("/") ? dir : env.get(dir);
      assertTrue(mounts.containsKey(path), dir + " (" + path + ") is not a volume");
      assertFalse(mounts.get(path).path("readOnly").asBoolean(), path + " must be writable");
    }
    assertTrue(server.path("securityContext").path("readOnlyRootFilesystem").asBoolean());
    JsonNode podSecurity = pod.path("spec").path("securityContext");
    assertTrue(podSecurity.path("runAsNonRoot").asBoolean());
    assertEquals(10001, podSecurity.path("runAsUser").asInt(), "the images' modelfleet user");
    JsonNode resources = server.path("resources");
    assertFalse(resources.path("requests").path("memory").isMissingNode(), "memory request");
    assertFalse(resources.path("limits").path("memory").isMissingNode(), "memory limit");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void secretsTheServerReadsExistOrAreTheOnesOperatorsAreToldToCreate(String overlay)
      throws Exception {
    Rendered rendered = render(overlay);
    JsonNode pod = rendered.one("Deployment", "modelfleet-server").path("spec").path("template");
    List<JsonNode> references = new ArrayList<>();
    container(pod, "server")
        .path("env")
        .forEach(
            v -> {
              if (v.has("valueFrom")) {
                references.add(v.path("valueFrom").path("secretKeyRef"));
              }
            });
    assertEquals(3, references.size(), "admin token and both database passwords from Secrets");
    for (JsonNode reference : references) {
      String name = reference.path("name").asText();
      String key = reference.path("key").asText();
      assertTrue(SERVER.accepts(key), key);
      JsonNode secret = rendered.find("Secret", name);
      if (secret != null) {
        assertTrue(secret.path("data").has(key), name + " has no " + key);
      } else {
        assertTrue(OPERATOR_SECRETS.contains(name), name + " is neither rendered nor documented");
        assertTrue(operationsGuide().contains("create secret generic " + name), name);
      }
    }
    for (JsonNode volume : pod.path("spec").path("volumes")) {
      if (volume.has("secret")) {
        String name = volume.path("secret").path("secretName").asText();
        assertTrue(rendered.find("Secret", name) != null || OPERATOR_SECRETS.contains(name), name);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void servicesBudgetAndMonitorSelectTheServerPods(String overlay) throws Exception {
    Rendered rendered = render(overlay);
    JsonNode pod = rendered.one("Deployment", "modelfleet-server").path("spec").path("template");
    JsonNode podLabels = pod.path("metadata").path("labels");

    JsonNode http = rendered.one("Service", "modelfleet-http");
    JsonNode grpc = rendered.one("Service", "modelfleet-grpc");
    assertSelects(http.path("spec").path("selector"), podLabels);
    assertSelects(grpc.path("spec").path("selector"), podLabels);
    assertEquals("http", http.path("spec").path("ports").get(0).path("targetPort").asText());
    // an agent downloads from the host it syncs with: the artifact port is on the agents' Service
    List<String> agentTargets = new ArrayList<>();
    grpc.path("spec").path("ports").forEach(p -> agentTargets.add(p.path("targetPort").asText()));
    assertEquals(
        List.of("grpc", "artifacts"), agentTargets, "the agents' Service, apart from HTTP");

    JsonNode budget = rendered.one("PodDisruptionBudget", "modelfleet-server");
    assertSelects(budget.path("spec").path("selector").path("matchLabels"), podLabels);
    int replicas =
        rendered.one("Deployment", "modelfleet-server").path("spec").path("replicas").asInt();
    assertTrue(budget.path("spec").path("minAvailable").asInt() < replicas, "drains can proceed");

    JsonNode monitor = rendered.find("ServiceMonitor", "modelfleet-server");
    if (overlay.equals("production")) {
      assertNotNull(monitor, "production is scraped through the Prometheus Operator");
    }
    if (monitor != null) {
      assertSelects(
          monitor.path("spec").path("selector").path("matchLabels"),
          http.path("metadata").path("labels"));
      JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
      assertEquals("http", endpoint.path("port").asText());
      assertEquals("/q/metrics", endpoint.path("path").asText());
    }
  }

  @Test
  void productionTakesItsImagesFromARegistryAndSpreadsReplicasOverNodes() throws Exception {
    JsonNode pod =
        render("production").one("Deployment", "modelfleet-server").path("spec").path("template");
    for (JsonNode container : pod.path("spec").path("containers")) {
      assertFalse(container.path("image").asText().startsWith("localhost/"), container.toString());
    }
    assertEquals(
        "DoNotSchedule",
        pod.path("spec")
            .path("topologySpreadConstraints")
            .get(0)
            .path("whenUnsatisfiable")
            .asText());
  }

  private static void assertProbe(JsonNode container, String probe, String path) {
    JsonNode get = container.path(probe).path("httpGet");
    assertEquals(path, get.path("path").asText(), probe);
    assertEquals("http", get.path("port").asText(), probe + " port");
  }

  private static void assertSelects(JsonNode selector, JsonNode labels) {
    assertTrue(selector.size() > 0, "empty selector");
    selector
        .fields()
        .forEachRemaining(
            e -> assertEquals(e.getValue().asText(), labels.path(e.getKey()).asText(), e.getKey()));
  }

  private static JsonNode container(JsonNode pod, String name) {
    for (JsonNode container : pod.path("spec").path("containers")) {
      if (name.equals(container.path("name").asText())) {
        return container;
      }
    }
    throw new AssertionError("no container " + name);
  }

  private static String operationsGuide() throws IOException {
    return Files.readString(REPO.root().resolve("docs/operations.md"));
  }

  /**
   * Renders an overlay from a copy of deploy/k8s, with the secret files the dev overlay generates
   * its Secrets from written as deploy/compose/make-secrets.sh would.
   */
  private Rendered render(String overlay) throws IOException {
    Path k8s = work.resolve("k8s");
    if (!Files.exists(k8s)) {
      copyTree(REPO.root().resolve("deploy/k8s"), k8s);
      Command.run(
              Duration.ofSeconds(30),
              REPO.root().resolve("deploy/compose/make-secrets.sh").toString(),
              k8s.resolve("overlays/dev").toString())
          .ok();
    }
    Command kustomize =
        Command.run(
                Duration.ofSeconds(60),
                "kubectl",
                "kustomize",
                k8s.resolve("overlays/" + overlay).toString())
            .ok();
    List<JsonNode> objects = new ArrayList<>();
    try (var documents =
        new YAMLMapper().readerFor(JsonNode.class).readValues(kustomize.output())) {
      while (documents.hasNext()) {
        objects.add((JsonNode) documents.next());
      }
    }
    return new Rendered(objects);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : paths.toList()) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else if (!path.getFileName().toString().endsWith(".env")) {
          Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private record Rendered(List<JsonNode> objects) {
    JsonNode find(String kind, String name) {
      for (JsonNode object : objects) {
        if (kind.equals(object.path("kind").asText())
            && name.equals(object.path("metadata").path("name").asText())) {
          return object;
        }
      }
      return null;
    }

    JsonNode one(String kind, String name) {
      JsonNode found = find(kind, name);
      assertNotNull(found, kind + " " + name + " is not rendered");
      return found;
    }
  }
}
