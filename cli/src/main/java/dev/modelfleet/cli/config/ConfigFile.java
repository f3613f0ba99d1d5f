package dev.modelfleet.cli.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.modelfleet.cli.CliException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * The contexts file, {@code $XDG_CONFIG_HOME/modelfleet/config.yaml} (default {@code
 * ~/.config/modelfleet/config.yaml}, or {@code MODELFLEET_CONFIG}). It holds tokens, so it is
 * written owner-only (0600, in a 0700 directory) and not read when others may read it.
 */
public final class ConfigFile {

  private static final long MAX_BYTES = 1024 * 1024;
  private static final ObjectMapper YAML =
      new ObjectMapper(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
                  .build())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private final Path path;

  public ConfigFile(Path path) {
    this.path = path;
  }

  /** Where the file is for this environment. */
  public static ConfigFile locate(Map<String, String> env) {
    String explicit = env.get("MODELFLEET_CONFIG");
    if (explicit != null && !explicit.isBlank()) {
      return new ConfigFile(Path.of(explicit));
    }
    String xdg = env.get("XDG_CONFIG_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config");
    return new ConfigFile(base.resolve("modelfleet").resolve("config.yaml"));
  }

  public Path path() {
    return path;
  }

  /** The contexts; none when the file does not exist yet. */
  public Config load() {
    if (!Files.exists(path)) {
      return Config.empty();
    }
    Config config;
    try {
      if (Files.size(path) > MAX_BYTES) {
        throw CliException.usage(
            path + " is larger than a configuration file can be (1 MiB)",
            "move it away and log in again");
      }
      try (InputStream in = Files.newInputStream(path)) {
        config = YAML.readValue(in, Config.class);
      }
    } catch (CliException e) {
      throw e;
    } catch (IOException e) {
      throw CliException.usage(
          "cannot read " + path + ": " + firstLine(e.getMessage()),
          "fix the file, or move it away and log in again (modelfleet login)");
    }
    if (config == null) {
      return Config.empty();
    }
    if (config.holdsTokens()) {
      requireOwnerOnly();
    }
    return config;
  }

  /** Writes the contexts owner-only, replacing the file in one step. */
  public void save(Config config) {
    try {
      Path dir = path.toAbsolutePath().getParent();
      if (!Files.isDirectory(dir)) {
        if (POSIX) {
          Files.createDirectories(
              dir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
          Files.createDirectories(dir);
        }
      }
      Path temp =
          POSIX
              ? Files.createTempFile(
                  dir,
                  ".config",
                  ".yaml",
                  PosixFilePermissions.asFileAttribute(
                      PosixFilePermissions.fromString("rw-------")))
              : Files.createTempFile(dir, ".config", ".yaml");
      try {
        Files.write(temp, YAML.writeValueAsBytes(config));
        try {
          Files.move(
              temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw CliException.usage(
          "cannot write " + path + ": " + e.getMessage(),
          "check that the directory is writable, or set MODELFLEET_CONFIG to another file");
    }
  }

  private void requireOwnerOnly() {
    if (!POSIX) {
      return;
    }
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(path);
    } catch (IOException e) {
      throw CliException.usage("cannot read the permissions of " + path, null);
    }
    boolean shared =
        permissions.contains(PosixFilePermission.GROUP_READ)
            || permissions.contains(PosixFilePermission.OTHERS_READ)
            || permissions.contains(PosixFilePermission.GROUP_WRITE)
            || permissions.contains(PosixFilePermission.OTHERS_WRITE);
    if (shared) {
      throw CliException.usage(
          path
              + " holds tokens but other users may read or change it ("
              + PosixFilePermissions.toString(permissions)
              + "); not used",
          "make it yours alone: chmod 600 "
              + path
              + " (and, if others could read it, revoke those tokens and log in again)");
    }
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
