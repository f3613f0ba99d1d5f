package dev.modelfleet.agent.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.Set;

/**
 * A config file that holds a secret which users other than the file's owner can read; as ssh
 * refuses a private key others can read, the agent refuses to use it. Whoever reads the enrollment
 * token ({@code token}) can enroll devices into the fleet, with the token's labels, until it
 * expires or is used up; whoever reads the {@code api-token} can run the device's models through
 * its local API. So the file must be the agent user's alone (0600).
 *
 * @param permissions as {@code ls -l} shows them, e.g. {@code rw-r--r--}
 * @param key the key that holds the secret: {@code token} or {@code api-token}
 */
public record ExposedToken(Path file, String permissions, String key) {

  public ExposedToken(Path file, String permissions) {
    this(file, permissions, "token");
  }

  /**
   * The exposure of {@code key} in {@code file}, or null when it holds none, only its owner can
   * read it, or the file system has no POSIX permissions (Windows ACLs are not checked).
   */
  static ExposedToken of(Path file, Properties properties, String key) throws ConfigException {
    String token = properties.getProperty(key);
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
      return new ExposedToken(file, PosixFilePermissions.toString(permissions), key);
    }
    return null;
  }

  /** What is wrong and the command that fixes it. */
  public String problem() {
    return "config file "
        + file
        + (key.equals("token") ? " holds an enrollment token" : " holds the " + key)
        + " but other users can read it ("
        + permissions
        + "): run chmod 600 "
        + file
        + " (owned by the user the agent runs as)";
  }
}
