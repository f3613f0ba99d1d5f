package dev.modelfleet.agent.testing;

import dev.modelfleet.agent.cli.Agent;
import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      DeploymentProgress p = server.progress.poll(100, TimeUnit.MILLISECONDS);
      if (p != null
          && (p.getState() == DeploymentState.DEPLOYMENT_STATE_ACTIVE
              || p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED)) {
        return p;
      }
    }
    throw new AssertionError("no ACTIVE or FAILED progress within 20 s");
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
