package dev.modelfleet.server.device;

/**
 * The agent a device runs, as its Hello says: its release (null: an agent from before it said), the
 * protocol revision it speaks and the config-version of its configuration (0: not said).
 */
public record AgentInfo(String version, int protocol, int configVersion) {

  /** Longer than any real version: a device cannot fill the column with what it likes. */
  static final int MAX_VERSION_LENGTH = 64;

  public AgentInfo {
    version = version(version);
    protocol = Math.max(0, protocol);
    configVersion = Math.max(0, configVersion);
  }

  /**
   * A release as the device reported it, as stored: null when blank, cut to {@link
   * #MAX_VERSION_LENGTH} (Hello and heartbeats alike).
   */
  public static String version(String reported) {
    if (reported == null || reported.isBlank()) {
      return null;
    }
    return reported.length() > MAX_VERSION_LENGTH
        ? reported.substring(0, MAX_VERSION_LENGTH)
        : reported;
  }
}
