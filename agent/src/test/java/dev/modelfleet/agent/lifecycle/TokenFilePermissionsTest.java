package dev.modelfleet.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.Ed25519;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config file holding the enrollment token that other users of the device can read: the agent
 * does not enroll with it, and says which chmod fixes it. Real files, real permissions.
 */
class TokenFilePermissionsTest {

  @TempDir Path dir;
  Path configFile;

  @BeforeEach
  void writeConfig() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path rootPem = dir.resolve("root.pem");
    Files.writeString(rootPem, Ed25519.toPem(new FleetFixture().rootKeySpki()));
    configFile = dir.resolve("agent.properties");
    Files.writeString(
        configFile,
        "server=127.0.0.1:1\ntoken=mf_enroll_secret\nroot-key="
            + rootPem
            + "\nstate-dir="
            + dir.resolve("state")
            + "\n");
  }

  void checkWithMode(String permissions) throws Exception {
    Files.setPosixFilePermissions(configFile, PosixFilePermissions.fromString(permissions));
    new Agent(AgentConfig.load(configFile, Map.of())).checkConfigForSync();
  }

  @Test
  void aTokenOtherUsersCanReadIsNotEnrolledWith() throws Exception {
    for (String mode : List.of("rw-r--r--", "rw-r-----", "rw----r--")) {
      ConfigException refused = assertThrows(ConfigException.class, () -> checkWithMode(mode));
      assertTrue(
          refused.getMessage().contains("run chmod 600 " + configFile),
          mode + ": " + refused.getMessage());
      assertTrue(refused.getMessage().contains(mode), refused.getMessage());
    }
    assertDoesNotThrow(() -> checkWithMode("rw-------"));
  }

  @Test
  void aFileWithoutATokenMayBeReadable() throws Exception {
    Files.writeString(configFile, Files.readString(configFile).replace("token=", "#token="));
    Files.createDirectories(dir.resolve("state"));
    Files.writeString(dir.resolve("state/identity.json"), "{}"); // enrolled: no token needed
    assertDoesNotThrow(() -> checkWithMode("rw-r--r--"));
  }

  @Test
  void anEnrolledDeviceKeepsRunningAndWarns() throws Exception {
    Files.createDirectories(dir.resolve("state"));
    Files.writeString(dir.resolve("state/identity.json"), "{}");
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            warnings.add(record.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger("modelfleet.agent");
    logger.addHandler(handler);
    try {
      assertDoesNotThrow(() -> checkWithMode("rw-r--r--"));
    } finally {
      logger.removeHandler(handler);
    }
    assertEquals(
        1,
        warnings.stream().filter(w -> w.contains("chmod 600 " + configFile)).count(),
        warnings.toString());
  }
}
