package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A mixed fleet on this CPU-only machine: real agent processes playing a CUDA box, an NPU box and a
 * device with too little memory (simulated profiles). One assignment gives each the variant its
 * hardware runs best, skips the one nothing fits, and shows that the simulated accelerators really
 * ran on the CPU (provider fallback is visible, never silent).
 */
class SimulatedHardwareAgentsTest {

  @RegisterExtension static final RunningFleet running = new RunningFleet();

  @Test
  void eachSimulatedDeviceGetsTheVariantItsHardwareRunsBestAndTheMisfitIsSkipped()
      throws IOException {
    Fleet fleet = running.fleet();
    String run = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> labels = Map.of("sim-run", run);
    AgentProcess gpu =
        fleet.startAgent(
            "sim-gpu-" + run,
            labels,
            "--simulate-profile",
            profile(
                    "gpu",
                    "x86_64",
                    16L << 30,
                    List.of("cuda", "cpu"),
                    "{\"executionProvider\":\"cuda\",\"precision\":\"fp16\",\"kernel\":\"matmul\","
                        + "\"p50Ms\":0.3,\"p95Ms\":0.4,\"gmacs\":190}")
                .toString());
    AgentProcess npu =
        fleet.startAgent(
            "sim-npu-" + run,
            labels,
            "--simulate-profile",
            profile(
                    "npu",
                    "aarch64",
                    8L << 30,
                    List.of("npu", "cpu"),
                    "{\"executionProvider\":\"npu\",\"precision\":\"int8\",\"kernel\":\"matmul\","
                        + "\"p50Ms\":0.4,\"p95Ms\":0.5,\"gmacs\":130}")
                .toString());
    AgentProcess tiny =
        fleet.startAgent(
            "sim-tiny-" + run,
            labels,
            "--simulate-profile",
            profile("tiny", "x86_64", 256L << 20, List.of("cpu"), null).toString());

    String model = "sim-" + run;
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(
        model,
        "1",
        "precision=fp32&executionProvider=cpu&minMemoryBytes=" + (1L << 30),
        SampleModels.classifier(11));
    JsonNode fp16Cuda =
        fleet.uploadVariant(
            model, "1", "precision=fp16&executionProvider=cuda", SampleModels.classifier(12));
    JsonNode int8Npu =
        fleet.uploadVariant(
            model, "1", "precision=int8&executionProvider=npu", SampleModels.classifier(13));

    JsonNode assignment = fleet.assign(model, "1", "sim-run=" + run);

    Map<String, String> assigned = new HashMap<>();
    assignment
        .path("assigned")
        .forEach(a -> assigned.put(a.path("deviceId").asText(), a.path("variantId").asText()));
    assertEquals(
        fp16Cuda.path("id").asText(), assigned.get(fleet.deviceIdOf(gpu)), assignment.toString());
    assertEquals(
        int8Npu.path("id").asText(), assigned.get(fleet.deviceIdOf(npu)), assignment.toString());
    assertEquals(1, assignment.path("skipped").size(), assignment.toString());
    JsonNode skipped = assignment.path("skipped").get(0);
    assertEquals(fleet.deviceIdOf(tiny), skipped.path("deviceId").asText());
    assertTrue(skipped.path("reason").asText().contains("memory"), skipped.toString());

    fleet.awaitActive(model, "1", List.of(gpu, npu), Duration.ofMinutes(2), line -> {});
    for (AgentProcess agent : List.of(gpu, npu)) {
      String deviceId = fleet.deviceIdOf(agent);
      assertEquals(
          "cpu",
          fleet.deploymentOf(deviceId, model).path("executionProviderUsed").asText(),
          "a simulated accelerator really runs on the CPU, and says so");
      JsonNode device = fleet.admin().get("/api/v1/devices/" + deviceId);
      assertTrue(device.path("providerMismatches").size() > 0, device.toString());
      assertTrue(device.path("hardware").path("simulated").asBoolean(), device.toString());
    }
  }

  /** A simulated profile file, in the format of docs/agent.md. */
  private static Path profile(
      String name, String arch, long memory, List<String> providers, String benchmark)
      throws IOException {
    String json =
        "{\"arch\":\""
            + arch
            + "\",\"cpuModel\":\"simulated "
            + name
            + "\","
            + "\"cores\":4,\"memoryTotalBytes\":"
            + memory
            + ",\"executionProviders\":"
            + providers.stream().map(p -> "\"" + p + "\"").toList()
            + (benchmark == null ? "" : ",\"benchmark\":[" + benchmark + "]")
            + "}";
    Path file = running.workDir().resolve(name + "-profile.json");
    Files.writeString(file, json);
    return file;
  }
}
