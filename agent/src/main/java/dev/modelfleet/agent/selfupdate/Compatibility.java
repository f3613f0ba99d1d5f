package dev.modelfleet.agent.selfupdate;

import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.util.function.IntSupplier;

/**
 * Whether an agent release could work here, from what its signed manifest says it needs: a server
 * that speaks at least its minimum protocol revision, and a configuration of at least its minimum
 * config-version. A release that could not would start, fail to connect or to read its
 * configuration, and be reverted by the launcher after its deadline; refusing it before the
 * download tells the rollout why at once.
 */
public final class Compatibility {

  /** The release needs a protocol revision the server does not speak. */
  public static final String PROTOCOL = "agent-protocol-unsupported";

  /** The release needs a config-version the device's configuration does not have. */
  public static final String CONFIG = "agent-config-unsupported";

  private final IntSupplier serverProtocol;
  private final int configVersion;

  /**
   * @param serverProtocol the revision the server named when the current session opened
   * @param configVersion the config-version of this agent's configuration
   */
  public Compatibility(IntSupplier serverProtocol, int configVersion) {
    this.serverProtocol = serverProtocol;
    this.configVersion = configVersion;
  }

  public void require(VariantManifest release) throws VerificationException {
    int server = serverProtocol.getAsInt();
    if (release.getMinProtocol() > server) {
      throw new VerificationException(
          PROTOCOL,
          "agent "
              + release.getVersion()
              + " needs protocol revision "
              + release.getMinProtocol()
              + " and the server speaks "
              + server
              + "; upgrade the server first, the agent installs it then");
    }
    if (release.getMinConfigVersion() > configVersion) {
      throw new VerificationException(
          CONFIG,
          "agent "
              + release.getVersion()
              + " needs config-version "
              + release.getMinConfigVersion()
              + " and this agent's configuration is config-version "
              + configVersion
              + "; update agent.properties as its release notes say (and set config-version),"
              + " the agent installs it then");
    }
  }
}
