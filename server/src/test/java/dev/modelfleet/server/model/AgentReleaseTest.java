package dev.modelfleet.server.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the server takes as an agent release: a runnable jar of the version it is uploaded as. */
class AgentReleaseTest {

  @TempDir Path dir;

  Path jar(String version, String mainClass) throws Exception {
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (version != null) {
      main.put(Attributes.Name.IMPLEMENTATION_VERSION, version);
    }
    if (mainClass != null) {
      main.put(Attributes.Name.MAIN_CLASS, mainClass);
    }
    Path file = dir.resolve("agent-" + version + ".jar");
    try (OutputStream out = Files.newOutputStream(file);
        JarOutputStream jar = new JarOutputStream(out, manifest)) {
      jar.putNextEntry(new ZipEntry("dev/modelfleet/agent/lifecycle/AgentMain.class"));
      jar.write(new byte[] {(byte) 0xca, (byte) 0xfe});
      jar.closeEntry();
    }
    return file;
  }

  Path jarNeeding(String protocol, String config) throws Exception {
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.put(Attributes.Name.IMPLEMENTATION_VERSION, "0.3.0");
    main.put(Attributes.Name.MAIN_CLASS, "dev.modelfleet.agent.lifecycle.AgentMain");
    main.putValue(AgentRelease.MIN_PROTOCOL, protocol);
    main.putValue(AgentRelease.MIN_CONFIG_VERSION, config);
    Path file = dir.resolve("agent-needing-" + protocol + "-" + config + ".jar");
    try (OutputStream out = Files.newOutputStream(file);
        JarOutputStream jar = new JarOutputStream(out, manifest)) {
      jar.putNextEntry(new ZipEntry("a"));
      jar.closeEntry();
    }
    return file;
  }

  @Test
  void whatAReleaseNeedsIsReadFromItsManifestAndNothingWhenItSaysNothing() throws Exception {
    assertEquals(new AgentRelease.Needs(2, 3), AgentRelease.check(jarNeeding("2", "3"), "0.3.0"));
    assertEquals(
        AgentRelease.Needs.NONE,
        AgentRelease.check(jar("0.2.0", "dev.modelfleet.agent.lifecycle.AgentMain"), "0.2.0"));
    ApiException e =
        assertThrows(ApiException.class, () -> AgentRelease.check(jarNeeding("two", "1"), "0.3.0"));
    assertEquals(ApiError.INVALID_AGENT_RELEASE, e.error());
    assertTrue(e.detail().contains("ModelFleet-Min-Protocol is 'two'"), e.detail());
  }

  @Test
  void theReservedNameIsTheAgentsOwn() {
    assertTrue(AgentRelease.is("modelfleet-agent"));
    assertTrue(!AgentRelease.is("modelfleet-agent2") && !AgentRelease.is("vad"));
  }

  @Test
  void aRunnableJarOfItsOwnVersionIsTaken() throws Exception {
    AgentRelease.check(jar("0.2.0", "dev.modelfleet.agent.lifecycle.AgentMain"), "0.2.0");
  }

  @Test
  void aJarThatClaimsAnotherVersionIsRefused() throws Exception {
    ApiException e =
        assertThrows(ApiException.class, () -> AgentRelease.check(jar("0.1.0", "x.Main"), "9.0.0"));
    assertEquals(ApiError.INVALID_AGENT_RELEASE, e.error());
    assertTrue(e.detail().contains("'0.1.0'"), e.detail());
  }

  @Test
  void aJarWithoutMainClassOrANonJarIsRefused() throws Exception {
    assertThrows(ApiException.class, () -> AgentRelease.check(jar("0.2.0", null), "0.2.0"));
    Path onnx = dir.resolve("model.onnx");
    Files.write(onnx, new byte[] {8, 7, 18, 0});
    ApiException e = assertThrows(ApiException.class, () -> AgentRelease.check(onnx, "0.2.0"));
    assertEquals(ApiError.INVALID_AGENT_RELEASE, e.error());
  }
}
