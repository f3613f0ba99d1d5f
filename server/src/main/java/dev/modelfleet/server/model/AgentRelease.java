package dev.modelfleet.server.model;

import dev.modelfleet.server.common.ApiError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Agent releases travel the models' trusted channel: an upload to the reserved model {@value NAME}
 * is the agent's runnable jar, signed, assigned and rolled out like any variant (its arch is the
 * variant's {@code arch}). What ONNX Runtime checks for a model, this checks for a jar: it opens as
 * a jar, names a main class, and says it is the version it is uploaded as, so that a release cannot
 * claim a version it is not (the devices' downgrade protection compares these versions).
 *
 * <p>The jar also says what it needs around it, in attributes the agent's build writes: {@value
 * #MIN_PROTOCOL} (the lowest protocol revision of a server it can talk to) and {@value
 * #MIN_CONFIG_VERSION} (the lowest {@code config-version} of an agent.properties it reads). They go
 * into the signed manifest; a device refuses a release whose needs it cannot meet, and the matcher
 * does not assign it there. Absent: no need (a jar from before these attributes).
 */
public final class AgentRelease {

  /** The model name under which agent releases are published. */
  public static final String NAME = "modelfleet-agent";

  /** The jar manifest attribute naming the lowest server protocol revision it needs. */
  public static final String MIN_PROTOCOL = "ModelFleet-Min-Protocol";

  /** The jar manifest attribute naming the lowest config-version it reads. */
  public static final String MIN_CONFIG_VERSION = "ModelFleet-Min-Config-Version";

  /** What a release needs around it; 0: nothing. */
  public record Needs(int minProtocol, int minConfigVersion) {
    public static final Needs NONE = new Needs(0, 0);
  }

  private AgentRelease() {}

  public static boolean is(String model) {
    return NAME.equals(model);
  }

  /**
   * Refuses what a device could not start as the agent of {@code version}; returns what it needs.
   */
  static Needs check(Path file, String version) {
    Manifest manifest;
    try (JarFile jar = new JarFile(file.toFile(), false)) {
      manifest = jar.getManifest();
    } catch (IOException e) {
      throw ApiError.INVALID_AGENT_RELEASE.exception(
          "The upload is not a jar; send the agent's runnable jar (modelfleet-agent.jar).");
    }
    if (manifest == null || manifest.getMainAttributes().getValue("Main-Class") == null) {
      throw ApiError.INVALID_AGENT_RELEASE.exception(
          "The jar has no Main-Class in META-INF/MANIFEST.MF; send the agent's runnable jar.");
    }
    String declared = manifest.getMainAttributes().getValue("Implementation-Version");
    if (!version.equals(declared)) {
      throw ApiError.INVALID_AGENT_RELEASE.exception(
          "The jar is agent version '"
              + declared
              + "' (Implementation-Version), not '"
              + version
              + "'; upload it under its own version.");
    }
    return new Needs(
        level(manifest, MIN_PROTOCOL, 1_000), level(manifest, MIN_CONFIG_VERSION, 1_000));
  }

  /** A small positive number, or 0 when the attribute is absent. */
  private static int level(Manifest manifest, String attribute, int max) {
    String value = manifest.getMainAttributes().getValue(attribute);
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      int level = Integer.parseInt(value.trim());
      if (level >= 0 && level <= max) {
        return level;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ApiError.INVALID_AGENT_RELEASE.exception(
        "The jar's "
            + attribute
            + " is '"
            + value
            + "'; it must be a whole number from 0 to "
            + max
            + " (META-INF/MANIFEST.MF).");
  }
}
