package dev.modelfleet.agent.testing;

import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.lifecycle.Agent;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Starts whole agents against a {@link FakeControlPlane}, with extra configuration keys. */
public final class AgentUnderTest {

  private AgentUnderTest() {}

  /** Enrolls (first start) or resumes the agent whose state lives in {@code dir/state}. */
  public static Agent start(
      Path dir, FleetFixture fleet, FakeControlPlane server, Map<String, String> extra)
      throws Exception {
    Path rootPem = dir.resolve("root.pem");
    Files.writeString(rootPem, Ed25519.toPem(fleet.rootKeySpki()));
    Map<String, String> flags = new HashMap<>(extra);
    flags.put("server", server.address());
    flags.put("token", "good-token");
    flags.put("root-key", rootPem.toString());
    flags.put("state-dir", dir.resolve("state").toString());
    flags.put("http-port", "0");
    flags.put("name", "test-device");
    Agent agent = new Agent(AgentConfig.load(null, flags));
    try {
      agent.startLocal();
      agent.connect();
      return agent;
    } catch (Exception | Error e) {
      agent.close();
      throw e;
    }
  }

  /** The first ACTIVE or FAILED progress within 20 s. */
  public static DeploymentProgress settled(FakeControlPlane server) throws InterruptedException {
    return Eventually.next(
        server.progress,
        Duration.ofSeconds(20),
        "ACTIVE or FAILED progress",
        p ->
            p.getState() == DeploymentState.DEPLOYMENT_STATE_ACTIVE
                || p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED);
  }

  /** A file of src/test/resources. */
  public static Path resource(String name) {
    try {
      return Path.of(AgentUnderTest.class.getResource("/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(name, e);
    }
  }
}
