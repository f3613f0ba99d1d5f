package dev.modelfleet.agent.selfupdate;

import dev.modelfleet.agent.state.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent's side of the files it shares with its launcher ({@code deploy/agent/
 * modelfleet-agent-launcher}), under {@code <state-dir>/agent-releases}. The launcher reads only
 * these plain files, so it keeps working whatever a new release's code does:
 *
 * <ul>
 *   <li>{@code slots/<version>/modelfleet-agent.jar}: each installed release, side by side; the
 *       running jar is never overwritten.
 *   <li>{@code active}: the version the launcher starts (none: the jar it was installed with).
 *   <li>{@code trial}: written here; the version to try at the next start.
 *   <li>{@code trying}: written by the launcher while a trial runs; {@code healthy}: written here
 *       once that trial is connected, its desired state re-verified and every model serving.
 *   <li>{@code failed/<version>}: written by the launcher when it went back from a trial: why.
 * </ul>
 */
public final class ReleaseSlots {

  /** The agent exits with this status to be started again (by its launcher) in the trial slot. */
  public static final int RESTART_EXIT_CODE = 75;

  /** The file name of a release in its slot. */
  public static final String JAR = "modelfleet-agent.jar";

  // Versions name directories: nothing that could leave the slots directory.
  private static final Pattern SAFE_VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");

  private final Path root;

  public ReleaseSlots(Path stateDir) {
    this.root = stateDir.resolve("agent-releases");
  }

  public static boolean safeVersion(String version) {
    return SAFE_VERSION.matcher(version).matches();
  }

  public Path root() {
    return root;
  }

  public Path jar(String version) {
    return root.resolve("slots").resolve(version).resolve(JAR);
  }

  /**
   * Moves a verified download into its own slot (replacing an earlier copy of that slot only):
   * moved, not copied, so that an edge disk holds the release once.
   */
  public void install(String version, Path verified) throws IOException {
    Path slot = jar(version).getParent();
    Files.createDirectories(slot);
    Path staging = slot.resolve(JAR + ".part");
    Files.move(verified, staging, StandardCopyOption.REPLACE_EXISTING);
    Files.move(staging, jar(version), StandardCopyOption.ATOMIC_MOVE);
    SecureFiles.syncDirectory(slot);
  }

  /** Asks the launcher to start {@code version} next, on probation. */
  public void requestTrial(String version) throws IOException {
    write("trial", version);
  }

  /** Whether this process is a release the launcher is trying (and waits to hear is healthy). */
  public boolean onTrial(String runningVersion) {
    return runningVersion.equals(read("trying").orElse(null))
        && !runningVersion.equals(read("healthy").orElse(null));
  }

  /** Tells the launcher the trial is healthy: it makes it the active release. */
  public void confirmHealthy(String runningVersion) throws IOException {
    write("healthy", runningVersion);
  }

  /** Why the launcher went back from {@code version}, if it did. */
  public Optional<String> failure(String version) {
    return read("failed/" + version);
  }

  private void write(String name, String version) throws IOException {
    Files.createDirectories(root);
    SecureFiles.writeAtomically(
        root.resolve(name), (version + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private Optional<String> read(String name) {
    Path file = root.resolve(name);
    try {
      return Files.exists(file)
          ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
