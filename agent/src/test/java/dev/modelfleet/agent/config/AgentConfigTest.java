package dev.modelfleet.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {

  @TempDir Path dir;

  @Test
  void flagsOverrideTheFileAndBadValuesAreExplained() throws Exception {
    Path file = dir.resolve("agent.properties");
    Files.writeString(file, "server=fleet:9000\nhttp-port=8700\nstate-dir=/tmp/x\n");
    AgentConfig config = AgentConfig.load(file, Map.of("http-port", "0"));
    assertEquals("fleet:9000", config.server());
    assertEquals(0, config.httpPort());
    assertEquals(Path.of("/tmp/x"), config.stateDir());

    Files.writeString(file, "servr=fleet:9000\n");
    assertTrue(
        assertThrows(ConfigException.class, () -> AgentConfig.load(file, Map.of()))
            .getMessage()
            .contains("unknown key 'servr'"));
    assertTrue(
        assertThrows(ConfigException.class, () -> AgentConfig.load(null, Map.of("http-port", "x")))
            .getMessage()
            .contains("http-port must be a number"));
    assertTrue(
        assertThrows(
                ConfigException.class, () -> AgentConfig.load(null, Map.of("server", "http://x")))
            .getMessage()
            .contains("host:port"));
  }

  @Test
  void aConfigFileHoldingATokenThatOthersCanReadIsFlaggedWithItsMode() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path file = dir.resolve("agent.properties");
    Files.writeString(file, "server=fleet:9000\ntoken=mf_enroll_secret\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    ExposedToken exposed = AgentConfig.load(file, Map.of()).exposedToken();
    assertEquals(new ExposedToken(file, "rw-r--r--"), exposed);
    assertTrue(exposed.problem().contains("run chmod 600 " + file), exposed.problem());

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertNull(AgentConfig.load(file, Map.of()).exposedToken());
    Files.writeString(file, "server=fleet:9000\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertNull(AgentConfig.load(file, Map.of("token", "from-a-flag")).exposedToken());
  }

  @Test
  void simulationKeysDefaultToARealDeviceWithHonestFallback() throws Exception {
    AgentConfig real = AgentConfig.load(null, Map.of());
    assertEquals(null, real.simulateProfile());
    assertTrue(real.simulateProviderFallback());
    Path file = dir.resolve("agent.properties");
    Files.writeString(file, "simulate-profile=/etc/npu.json\nsimulate-provider-fallback=false\n");
    AgentConfig simulated = AgentConfig.load(file, Map.of());
    assertEquals(Path.of("/etc/npu.json"), simulated.simulateProfile());
    assertEquals(false, simulated.simulateProviderFallback());
    assertTrue(
        assertThrows(
                ConfigException.class,
                () -> AgentConfig.load(null, Map.of("simulate-provider-fallback", "no")))
            .getMessage()
            .contains("true or false"));
  }

  @Test
  void theDownloadFloorDefaultsTo16KiBPerSecondOver30SecondsAndCanBeSetOrTurnedOff()
      throws Exception {
    assertEquals(
        new dev.modelfleet.agent.download.ThroughputFloor(16_384, 30_000),
        AgentConfig.load(null, Map.of()).downloadFloor());
    assertEquals(
        new dev.modelfleet.agent.download.ThroughputFloor(1_000, 5_000),
        AgentConfig.load(
                null,
                Map.of(
                    "download-min-bytes-per-second", "1000", "download-rate-window-seconds", "5"))
            .downloadFloor());
    assertEquals(
        false,
        AgentConfig.load(null, Map.of("download-min-bytes-per-second", "0"))
            .downloadFloor()
            .enabled());
  }

  @Test
  void mutualTlsIsOnWithAServerCaAndRenewsAtTwoThirdsByDefault() throws Exception {
    AgentConfig plain = AgentConfig.load(null, Map.of());
    assertEquals(null, plain.serverCa());
    assertEquals(67, plain.certificateRenewalPercent());
    AgentConfig tls =
        AgentConfig.load(
            null,
            Map.of(
                "server-ca", "/etc/modelfleet/fleet-ca.pem", "certificate-renewal-percent", "50"));
    assertEquals(java.nio.file.Path.of("/etc/modelfleet/fleet-ca.pem"), tls.serverCa());
    assertEquals(50, tls.certificateRenewalPercent());
    assertTrue(
        assertThrows(
                ConfigException.class,
                () -> AgentConfig.load(null, Map.of("certificate-renewal-percent", "100")))
            .getMessage()
            .contains("certificate-renewal-percent must be a number from 1 to 99"));
  }
}
