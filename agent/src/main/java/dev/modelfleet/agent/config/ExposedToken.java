package dev.modelfleet.agent.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.Set;

/**
 * A config file that holds an enrollment token which users other than the file's owner can read.
 * Whoever reads the token can enroll devices into the fleet, with the token's labels, until it
 * expires or is used up; so the file must be the agent user's alone (0600).
 *
 * @param permissions as {@code ls -l} shows them, e.g. {@code rw-r--r--}
 */
public record ExposedToken(Path file, String permissions) {

  /**
   * The exposure of {@code file}, or null when it holds no token, only its owner can read it, or
   * the file system has no POSIX permissions (Windows ACLs are not checked).
   */
  static ExposedToken of(Path file, Properties properties) throws ConfigException {
    String token = properties.getProperty("token");
    if (token == null || token.isBlank()) {
      return null;
    }
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return null;
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read the permissions of config file " + file + ": " + e.getMessage());
    }
    if (permissions.contains(PosixFilePermission.GROUP_READ)
        || permissions.contains(PosixFilePermission.OTHERS_READ)) {
      return new ExposedToken(file, PosixFilePermissions.toString(permissions));
    }
    return null;
  }

  /** What is wrong and the command that fixes it. */
  public String problem() {
    return "config file "
        + file
        + " holds an enrollment token but other users can read it ("
        + permissions
        + "): run chmod 600 "
        + file
        + " (owned by the user the agent runs as)";
  }
}
