package dev.modelfleet.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
  void aConfigFileHoldingAnApiTokenThatOthersCanReadIsFlaggedAndTheAgentDoesNotStart()
      throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path file = dir.resolve("agent.properties");
    Files.writeString(file, "server=fleet:9000\napi-token=local-secret\nstate-dir=" + dir + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    AgentConfig config = AgentConfig.load(file, Map.of());
    assertEquals(new ExposedToken(file, "rw-r-----", "api-token"), config.exposedApiToken());
    assertNull(config.exposedToken(), "no enrollment token in the file");
    String refusal =
        assertThrows(ConfigException.class, () -> new dev.modelfleet.agent.lifecycle.Agent(config))
            .getMessage();
    assertTrue(refusal.contains("holds the api-token but other users can read it"), refusal);
    assertTrue(refusal.contains("run chmod 600 " + file), refusal);

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertNull(AgentConfig.load(file, Map.of()).exposedApiToken());
  }

  @Test
  void configVersionDefaultsToOne() throws Exception {
    assertEquals(1, AgentConfig.load(null, Map.of()).configVersion());
    assertEquals(3, AgentConfig.load(null, Map.of("config-version", "3")).configVersion());
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

  @Test
  void environmentVariablesSetEveryKeyBetweenTheFileAndTheFlags() throws Exception {
    Path file = dir.resolve("env.properties");
    Files.writeString(file, "http-port=8700\ngrpc-port=8001\nname=from-file\n");
    Map<String, String> env =
        Map.of(
            "MODELFLEET_AGENT_GRPC_PORT", "9001",
            "MODELFLEET_AGENT_NAME", "from-env",
            "MODELFLEET_AGENT_STATE_DIR", "/tmp/env-state",
            "MODELFLEET_AGENT_TLS_MODE", "off", // the server's setting: not ours, ignored
            "MODELFLEET_AGENT_API_TOKEN", "t0k");
    AgentConfig config = AgentConfig.load(file, env, Map.of("name", "from-flag"));
    assertEquals(8700, config.httpPort(), "the file where nothing overrides it");
    assertEquals(9001, config.grpcPort(), "the environment over the file");
    assertEquals("from-flag", config.name(), "a flag over the environment");
    assertEquals(Path.of("/tmp/env-state"), config.stateDir());
    assertEquals("t0k", config.apiToken());
    for (String key : AgentConfig.KEYS) {
      assertTrue(AgentConfig.envName(key).matches("MODELFLEET_AGENT_[A-Z0-9_]+"), key);
    }
    assertEquals(
        "MODELFLEET_AGENT_DOWNLOAD_MIN_BYTES_PER_SECOND",
        AgentConfig.envName("download-min-bytes-per-second"));
    assertTrue(
        assertThrows(
                ConfigException.class,
                () -> AgentConfig.load(null, Map.of("MODELFLEET_AGENT_GRPC_PORT", "x"), Map.of()))
            .getMessage()
            .contains("grpc-port must be a number from -1 to 65535"));
  }

  @Test
  void theLocalApiListensOnLoopbackWithoutGrpcOrTokenUnlessConfigured() throws Exception {
    AgentConfig defaults = AgentConfig.load(null, Map.of());
    assertTrue(defaults.bindAddress().isLoopbackAddress());
    assertFalse(defaults.apiBeyondLoopback());
    assertEquals(AgentConfig.GRPC_OFF, defaults.grpcPort());
    assertEquals(null, defaults.apiToken());
    AgentConfig open = AgentConfig.load(null, Map.of("bind-address", "0.0.0.0", "grpc-port", "0"));
    assertTrue(open.apiBeyondLoopback());
    assertEquals(0, open.grpcPort());
    assertEquals(
        "::1",
        AgentConfig.load(null, Map.of("bind-address", "::1"))
            .bindAddress()
            .getHostAddress()
            .replace("0:0:0:0:0:0:0:1", "::1"));
    assertTrue(
        assertThrows(
                ConfigException.class,
                () -> AgentConfig.load(null, Map.of("bind-address", "device.local")))
            .getMessage()
            .contains("bind-address 'device.local' is not an IP address"));
  }
}
