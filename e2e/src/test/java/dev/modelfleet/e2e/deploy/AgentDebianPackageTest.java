package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.InferenceClient;
import dev.modelfleet.e2e.ManagedProcess;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.TestDatabase;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's Debian package on this machine: dpkg -i, the files, modes and user it promises, the
 * agent started as its systemd unit starts it, enrolled with a running server and serving a model
 * assigned to it, then dpkg --purge and nothing of it left but the modelfleet user. Runs as root on
 * a machine with dpkg where the package is built (agent module, profile deb) and not installed.
 */
class AgentDebianPackageTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path JAR = Path.of("/opt/modelfleet/modelfleet-agent.jar");
  private static final Path UNIT = Path.of("/lib/systemd/system/modelfleet-agent.service");
  private static final Path CONFIG_DIR = Path.of("/etc/modelfleet");
  private static final Path CONFIG = CONFIG_DIR.resolve("agent.properties");
  private static final Path STATE = Path.of("/var/lib/modelfleet-agent");
  private static final Duration DPKG_TIMEOUT = Duration.ofMinutes(2);

  private final RepoLayout repo = RepoLayout.find();
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  @TempDir Path work;

  @Test
  void installedPackageRunsTheAgentAsItsUnitDoesAndPurgeRemovesIt() throws Exception {
    assumeTrue(Command.runningAsRoot(), "installing a Debian package needs root");
    assumeTrue(Command.available("dpkg"), "dpkg is missing: not a Debian system");
    String arch =
        Command.run(Duration.ofSeconds(10), "dpkg", "--print-architecture").ok().output().strip();
    Path deb = built(arch);
    assumeTrue(
        deb != null,
        "no agent/target/modelfleet-agent_*_" + arch + ".deb: build with dpkg-deb installed");
    assumeTrue(
        !Command.run(Duration.ofSeconds(10), "dpkg-query", "-W", "-f=${Status}", "modelfleet-agent")
            .output()
            .contains("installed"),
        "modelfleet-agent is installed on this machine already: the test would remove it");
    boolean userExisted =
        Command.run(Duration.ofSeconds(10), "getent", "passwd", "modelfleet").exitCode() == 0;

    try (ServerProcess server =
            ServerProcess.start(repo, work.resolve("server"), TestDatabase.NAME);
        Fleet fleet = new Fleet(repo, server, work.resolve("server"))) {
      try {
        Command.run(DPKG_TIMEOUT, "dpkg", "-i", deb.toString()).ok();
        assertInstalledAsPromised(arch);

        configure(fleet, server);
        try (PackagedAgent agent = PackagedAgent.start(work.resolve("agent.log"))) {
          String deviceId = awaitEnrolled(fleet.admin(), agent);
          String model = "deb-" + run;
          fleet.createModel(model);
          fleet.createVersion(model, "1");
          fleet.uploadVariant(model, "1", SampleModels.classifier(1));
          fleet.assign(model, "1", "deb-run=" + run);
          Waits.until(
              model + " ACTIVE on the packaged agent",
              Duration.ofMinutes(2),
              () -> {
                agent.requireAliveFor("deploying");
                return "ACTIVE"
                    .equalsIgnoreCase(fleet.deploymentOf(deviceId, model).path("state").asText());
              });
          int port = Integer.parseInt(Files.readString(STATE.resolve("inference.port")).strip());
          JsonNode answer =
              new InferenceClient(URI.create("http://127.0.0.1:" + port))
                  .inferOk(model, sampleRequest());
          assertEquals(SampleModels.OUTPUT, answer.path("outputs").get(0).path("name").asText());
          // what the agent made for itself belongs to it, owner-only
          assertOwnedBy("modelfleet", "rw-------", STATE.resolve("tls.pem"));
        }

        Command.run(DPKG_TIMEOUT, "dpkg", "--purge", "modelfleet-agent").ok();
        for (Path gone : List.of(JAR, UNIT, CONFIG, STATE)) {
          assertFalse(Files.exists(gone, LinkOption.NOFOLLOW_LINKS), gone + " is still there");
        }
        // Debian removes no system user: files elsewhere may belong to it, the server runs as it
        assertEquals(
            0, Command.run(Duration.ofSeconds(10), "getent", "passwd", "modelfleet").exitCode());
      } finally {
        cleanUp(userExisted);
      }
    }
  }

  private void assertInstalledAsPromised(String arch) throws IOException {
    String machine = arch.equals("arm64") ? "aarch64" : "x86_64";
    assertEquals(
        Files.size(repo.root().resolve("agent/target/modelfleet-agent-linux-" + machine + ".jar")),
        Files.size(JAR),
        "the jar for this architecture");
    assertEquals(
        Files.readString(repo.root().resolve("deploy/agent/modelfleet-agent.service")),
        Files.readString(UNIT));
    assertOwnedBy("modelfleet", "rw-------", CONFIG);
    assertOwnedBy("modelfleet", "rwx------", STATE);
    String[] user =
        Command.run(Duration.ofSeconds(10), "getent", "passwd", "modelfleet")
            .ok()
            .output()
            .strip()
            .split(":");
    assertEquals("/usr/sbin/nologin", user[6], "a system user nobody logs in as");
    assertTrue(Integer.parseInt(user[2]) < 1000, "a system user: uid " + user[2]);
    String conffiles =
        Command.run(
                Duration.ofSeconds(10), "dpkg-query", "-W", "-f=${Conffiles}", "modelfleet-agent")
            .ok()
            .output();
    assertTrue(
        conffiles.contains(CONFIG.toString()), "agent.properties is a conffile: " + conffiles);
  }

  /** What an operator does after installing: the trust anchors, then the server and a token. */
  private void configure(Fleet fleet, ServerProcess server) throws IOException {
    Files.writeString(
        CONFIG_DIR.resolve("root.pub.pem"), fleet.admin().getText("/api/v1/trust/root.pem"));
    Files.writeString(
        CONFIG_DIR.resolve("fleet-ca.pem"), fleet.admin().getText("/api/v1/trust/fleet-ca.pem"));
    String token = fleet.mintToken("deb-" + run, Map.of("deb-run", run));
    // written in place: the file keeps the owner and mode the package gave it
    Files.writeString(
        CONFIG,
        String.join(
            "\n",
            "server=" + server.grpcTarget(),
            "token=" + token,
            "root-key=" + CONFIG_DIR.resolve("root.pub.pem"),
            "server-ca=" + CONFIG_DIR.resolve("fleet-ca.pem"),
            "http-port=0",
            "name=deb-" + run,
            ""));
  }

  private String awaitEnrolled(AdminClient admin, PackagedAgent agent) {
    return Waits.until(
        "the packaged agent to enroll",
        Duration.ofMinutes(1),
        () -> {
          agent.requireAliveFor("enrolling");
          for (JsonNode device : admin.getAll("/api/v1/devices")) {
            if (("deb-" + run).equals(device.path("name").asText())) {
              return device.path("id").asText();
            }
          }
          return null;
        });
  }

  private static void assertOwnedBy(String owner, String mode, Path path) throws IOException {
    PosixFileAttributes attributes =
        Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    assertEquals(owner, attributes.owner().getName(), path + " owner");
    assertEquals(mode, PosixFilePermissions.toString(attributes.permissions()), path + " mode");
  }

  private void cleanUp(boolean userExisted) throws IOException {
    Command.run(DPKG_TIMEOUT, "dpkg", "--purge", "modelfleet-agent");
    Files.deleteIfExists(CONFIG_DIR.resolve("root.pub.pem"));
    Files.deleteIfExists(CONFIG_DIR.resolve("fleet-ca.pem"));
    if (Files.isDirectory(CONFIG_DIR)) {
      try (Stream<Path> left = Files.list(CONFIG_DIR)) {
        if (left.findAny().isEmpty()) {
          Files.delete(CONFIG_DIR);
        }
      }
    }
    if (!userExisted) {
      Command.run(Duration.ofSeconds(30), "userdel", "modelfleet");
    }
  }

  private Path built(String arch) throws IOException {
    try (Stream<Path> files = Files.list(repo.root().resolve("agent/target"))) {
      return files
          .filter(f -> f.getFileName().toString().matches("modelfleet-agent_.*_" + arch + "\\.deb"))
          .findFirst()
          .orElse(null);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  private static JsonNode sampleRequest() {
    ObjectNode request = JSON.createObjectNode();
    ObjectNode input = request.putArray("inputs").addObject();
    input.put("name", SampleModels.INPUT).put("datatype", "FP32");
    input.putArray("shape").add(1).add(4);
    input.putArray("data").add(1).add(2).add(3).add(4);
    return request;
  }

  /**
   * The agent as the installed unit runs it: with systemd, the unit itself; without (a container,
   * as here), its ExecStart and Environment as its User, through runuser.
   */
  private static final class PackagedAgent extends ManagedProcess {
    private final boolean systemd;

    private PackagedAgent(List<String> command, Path log, boolean systemd) {
      super("packaged agent", command, Map.of(), log);
      this.systemd = systemd;
    }

    static PackagedAgent start(Path log) throws IOException {
      if (Files.isDirectory(Path.of("/run/systemd/system"))) {
        Command.run(Duration.ofSeconds(30), "systemctl", "daemon-reload").ok();
        Command.run(Duration.ofSeconds(30), "systemctl", "start", "modelfleet-agent").ok();
        return new PackagedAgent(List.of("journalctl", "-f", "-u", "modelfleet-agent"), log, true);
      }
      Unit unit = Unit.read(UNIT);
      List<String> command = new ArrayList<>(List.of("runuser", "-u", unit.user(), "--", "env"));
      unit.environment().forEach((key, value) -> command.add(key + "=" + value));
      command.addAll(unit.execStart());
      return new PackagedAgent(command, log, false);
    }

    @Override
    public void close() {
      if (systemd) {
        Command.run(Duration.ofSeconds(60), "systemctl", "stop", "modelfleet-agent");
      }
      super.close();
    }
  }

  /** The few keys of a systemd unit this test needs, continuation lines joined. */
  private record Unit(String user, Map<String, String> environment, List<String> execStart) {
    private static final Pattern KEY = Pattern.compile("^(\\w+)=(.*)$", Pattern.MULTILINE);

    static Unit read(Path file) throws IOException {
      String text = Files.readString(file).replaceAll("\\\\\n\\s*", " ");
      String user = null;
      Map<String, String> environment = new HashMap<>();
      List<String> execStart = null;
      Matcher line = KEY.matcher(text);
      while (line.find()) {
        switch (line.group(1)) {
          case "User" -> user = line.group(2).strip();
          case "Environment" -> {
            String[] pair = line.group(2).strip().split("=", 2);
            environment.put(pair[0], pair[1]);
          }
          case "ExecStart" -> execStart = List.of(line.group(2).strip().split("\\s+"));
          default -> {}
        }
      }
      return new Unit(user, environment, execStart);
    }
  }
}
