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
 */
public final class AgentRelease {

  /** The model name under which agent releases are published. */
  public static final String NAME = "modelfleet-agent";

  private AgentRelease() {}

  public static boolean is(String model) {
    return NAME.equals(model);
  }

  /** Refuses what a device could not start as the agent of {@code version}. */
  static void check(Path file, String version) {
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
  }
}
