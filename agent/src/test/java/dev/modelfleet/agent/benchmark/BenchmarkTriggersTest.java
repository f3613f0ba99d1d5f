package dev.modelfleet.agent.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.lifecycle.Agent;
import dev.modelfleet.agent.testing.AgentUnderTest;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.RunBenchmark;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the whole agent runs its benchmark, over a real socket: at enrollment, when the server asks,
 * and at a start after the runtime changed; a start on the same runtime reuses the stored report in
 * its Hello.
 */
class BenchmarkTriggersTest {

  @TempDir Path dir;
  final FleetFixture fleet = new FleetFixture();

  @Test
  void runsAtEnrollmentOnDemandAndWhenTheRuntimeChanged() throws Exception {
    try (FakeControlPlane server = new FakeControlPlane(fleet)) {
      try (Agent agent = AgentUnderTest.start(dir, fleet, server, Map.of())) {
        assertNotNull(server.hellos.poll(20, TimeUnit.SECONDS));
        BenchmarkReport enrollment = server.benchmarks.poll(30, TimeUnit.SECONDS);
        assertNotNull(enrollment, "a benchmark report follows enrollment");
        assertEquals(BenchmarkService.ENROLLMENT, enrollment.getTrigger());
        assertFalse(enrollment.getSimulated());
        assertTrue(
            enrollment.getResultsList().stream()
                .anyMatch(r -> r.getPrecision().equals("fp32") && r.getGmacs() > 0));

        server.push(
            ServerMessage.newBuilder()
                .setRunBenchmark(RunBenchmark.newBuilder().setReason("operator asked"))
                .build());
        BenchmarkReport onDemand = server.benchmarks.poll(30, TimeUnit.SECONDS);
        assertNotNull(onDemand, "RunBenchmark is answered with a report");
        assertEquals(BenchmarkService.ON_DEMAND, onDemand.getTrigger());
      }

      try (Agent sameRuntime = AgentUnderTest.start(dir, fleet, server, Map.of())) {
        Hello hello = server.hellos.poll(20, TimeUnit.SECONDS);
        assertNotNull(hello);
        assertEquals(
            BenchmarkService.ON_DEMAND,
            hello.getHardware().getBenchmark().getTrigger(),
            "the stored report is reused and carried by the Hello");
        assertNull(server.benchmarks.poll(1, TimeUnit.SECONDS), "no new run");
      }

      Path runtime = dir.resolve("state/benchmark.runtime");
      Files.writeString(
          runtime, Files.readString(runtime).replaceFirst("onnxruntime \\S+", "onnxruntime 1.0.0"));
      try (Agent upgraded = AgentUnderTest.start(dir, fleet, server, Map.of())) {
        BenchmarkReport changed = server.benchmarks.poll(30, TimeUnit.SECONDS);
        assertNotNull(changed, "a report measured on another ONNX Runtime is not reused");
        assertEquals(BenchmarkService.RUNTIME_CHANGED, changed.getTrigger());
      }
    }
  }
}
