package dev.modelfleet.agent.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.benchmark.BenchmarkService;
import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.lifecycle.Agent;
import dev.modelfleet.agent.testing.AgentUnderTest;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.BenchmarkResult;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A simulated Rockchip NPU device on this CPU-only machine: it reports the file's profile and
 * figures, marked simulated, is matched as an aarch64 device, and runs NPU variants on the CPU.
 */
class SimulatedProfileTest {

  static final Path NPU_PROFILE = AgentUnderTest.resource("profiles/rk3588-npu.json");

  @TempDir Path dir;
  final FleetFixture fleet = new FleetFixture();
  final byte[] model = SampleModels.classifier(3);

  VariantManifest npuVariant() {
    return fleet.manifest("classifier", "3", model).toBuilder()
        .setVariantId("classifier-3-rknpu-int8")
        .setExecutionProvider("rknpu")
        .setPrecision("int8")
        .setArch("aarch64")
        .addRequiredCpuFlags("dotprod")
        .build();
  }

  @Test
  void reportsTheSimulatedDeviceAndItsFiguresMarkedSimulated() throws Exception {
    try (FakeControlPlane server = new FakeControlPlane(fleet)) {
      server.artifacts.put(Dsse.sha256Hex(model), model);
      server.desiredState = fleet.signDesired(fleet.desiredState(fleet.desiredModel(npuVariant())));
      try (Agent agent =
          AgentUnderTest.start(
              dir, fleet, server, Map.of("simulate-profile", NPU_PROFILE.toString()))) {
        Hello hello = server.hellos.poll(20, TimeUnit.SECONDS);
        assertNotNull(hello);
        HardwareProfile profile = hello.getHardware();
        assertTrue(profile.getSimulated());
        assertEquals("aarch64", profile.getArch());
        assertEquals(8, profile.getCpuCores());
        assertEquals(List.of("cpu", "rknpu"), profile.getExecutionProvidersList());
        assertEquals(
            List.of("asimd", "asimddp", "asimdhp", "dotprod", "neon"), profile.getCpuFlagsList());
        assertEquals("rockchip", profile.getAccelerators(0).getVendor());
        assertEquals("simulated", profile.getAccelerators(0).getSource());

        // a simulated benchmark is instant: it is either in the Hello or sent right after it
        BenchmarkReport report =
            profile.hasBenchmark()
                ? profile.getBenchmark()
                : server.benchmarks.poll(30, TimeUnit.SECONDS);
        assertNotNull(report);
        assertEquals(BenchmarkService.ENROLLMENT, report.getTrigger());
        assertTrue(report.getSimulated());
        assertEquals(12, report.getResultsCount(), "both providers' figures come from the file");
        BenchmarkResult npuInt8 =
            report.getResultsList().stream()
                .filter(
                    r ->
                        r.getExecutionProvider().equals("rknpu")
                            && r.getPrecision().equals("int8")
                            && r.getKernel().equals("matmul"))
                .findFirst()
                .orElseThrow();
        assertEquals(134.2, npuInt8.getGmacs());

        DeploymentProgress active = AgentUnderTest.settled(server);
        assertEquals(
            DeploymentState.DEPLOYMENT_STATE_ACTIVE, active.getState(), active.getReason());
        assertEquals(
            "cpu",
            active.getExecutionProviderUsed(),
            "a simulated NPU is never handed to ONNX Runtime: the variant runs on the CPU");
      }
    }
  }

  @Test
  void withoutFallbackTheSimulatedProviderIsReportedAsUsed() throws Exception {
    try (FakeControlPlane server = new FakeControlPlane(fleet)) {
      server.artifacts.put(Dsse.sha256Hex(model), model);
      server.desiredState = fleet.signDesired(fleet.desiredState(fleet.desiredModel(npuVariant())));
      try (Agent agent =
          AgentUnderTest.start(
              dir,
              fleet,
              server,
              Map.of(
                  "simulate-profile",
                  NPU_PROFILE.toString(),
                  "simulate-provider-fallback",
                  "false"))) {
        DeploymentProgress active = AgentUnderTest.settled(server);
        assertEquals(
            DeploymentState.DEPLOYMENT_STATE_ACTIVE, active.getState(), active.getReason());
        assertEquals("rknpu", active.getExecutionProviderUsed());
      }
    }
  }

  @Test
  void theSimulatedArchitectureDecidesWhichVariantsFit() throws Exception {
    SimulatedProfile npu = SimulatedProfile.read(NPU_PROFILE);
    DeviceFacts facts = npu.applyTo(new DeviceFacts("x86_64", java.util.Set.of("avx2"), 1L << 34));
    assertEquals("aarch64", facts.arch());
    assertTrue(facts.mismatch(npuVariant()).isEmpty());
    assertTrue(facts.mismatch(npuVariant().toBuilder().setArch("x86_64").build()).isPresent());
    assertTrue(
        facts
            .mismatch(npuVariant().toBuilder().addRequiredCpuFlags("i8mm").build())
            .orElseThrow()
            .contains("i8mm"));
  }

  @Test
  void aProfileWithAnUnknownKeyIsAConfigurationError() throws Exception {
    Path typo = dir.resolve("typo.json");
    Files.writeString(typo, "{\"archh\": \"aarch64\"}");
    ConfigException e = assertThrows(ConfigException.class, () -> SimulatedProfile.read(typo));
    assertTrue(e.getMessage().contains("archh"), e.getMessage());
  }

  @Test
  void theGpuExampleProfileParses() throws Exception {
    SimulatedProfile gpu =
        SimulatedProfile.read(AgentUnderTest.resource("profiles/jetson-orin-nano-gpu.json"));
    assertEquals(List.of("cuda", "cpu"), gpu.executionProviders());
    assertEquals(6, gpu.resultsFor("cuda").size());
    assertTrue(gpu.resultsFor("cuda").stream().anyMatch(r -> !r.getError().isEmpty()));
  }
}
