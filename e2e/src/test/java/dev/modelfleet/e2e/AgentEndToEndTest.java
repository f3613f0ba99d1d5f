package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The spine, end to end: the packaged server and a real agent process over real sockets. An
 * operator enrolls a device, publishes a real model, assigns it; the device verifies, activates and
 * serves it; a second version replaces it while a client keeps calling infer.
 */
class AgentEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension static final RunningFleet running = new RunningFleet();
  final String run = UUID.randomUUID().toString().substring(0, 8);

  @Test
  void deviceReceivesSignedModelServesItAndSwitchesVersionsWithoutAFailedCall() throws Exception {
    Fleet fleet = running.fleet();
    TestModel testModel = TestModel.realOrGenerated(RepoLayout.find());
    String model = testModel.name + "-" + run;
    AgentProcess agent = fleet.startAgent("e2e-" + run, Map.of("e2e-run", run));

    fleet.createModel(model);
    fleet.createVersion(model, "1");
    JsonNode variant = fleet.uploadVariant(model, "1", testModel.version1);
    fleet.assign(model, "1", "e2e-run=" + run);
    fleet.awaitActive(model, "1", List.of(agent), DEPLOY_TIMEOUT, line -> {});
    // all of it over mutual TLS: the device holds its own key and certificate, owner-only
    assertTrue(running.server().mutualTls());
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(agent.stateDir().resolve("tls.pem"))));

    InferenceClient client = new InferenceClient(agent.inferenceUri());
    JsonNode response = client.inferOk(model, testModel.request(client.metadata(model)));
    assertOutputsMatchSignature(variant.path("outputs"), response.path("outputs"));
    assertEquals("1", response.path("model_version").asText());

    fleet.createVersion(model, "2");
    fleet.uploadVariant(model, "2", testModel.version2);
    InferLoop loop = new InferLoop(client, model, testModel.request(client.metadata(model)));
    Thread caller = new Thread(loop, "infer-loop");
    caller.start();
    try {
      Waits.until("a few calls on version 1", Duration.ofSeconds(10), () -> loop.calls.get() > 20);
      fleet.assign(model, "2", "e2e-run=" + run);
      fleet.awaitActive(model, "2", List.of(agent), DEPLOY_TIMEOUT, line -> {});
      Waits.until(
          "calls answered by version 2",
          Duration.ofSeconds(10),
          () -> loop.versionsSeen.contains("2"));
    } finally {
      loop.running.set(false);
      caller.join();
    }
    assertEquals(List.of(), loop.failures, "no call may fail during the switch");
    assertTrue(loop.versionsSeen.containsAll(Set.of("1", "2")), "saw " + loop.versionsSeen);
  }

  @Test
  void agentRestartedWithoutItsServerServesItsLastModelFromDisk() {
    Fleet fleet = running.fleet();
    String model = "offline-" + run;
    AgentProcess agent = fleet.startAgent("e2e-offline-" + run, Map.of("e2e-run", run));
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", SampleModels.classifier(3));
    fleet.assign(model, "1", "e2e-run=" + run);
    fleet.awaitActive(model, "1", List.of(agent), DEPLOY_TIMEOUT, line -> {});

    agent.kill();
    // A server address where nothing listens: the agent must not need its server to serve.
    AgentProcess restarted =
        AgentProcess.start(
            RepoLayout.find(),
            agent.name() + "-again",
            "127.0.0.1:" + Ports.free(),
            null,
            running.workDir().resolve("root.pub.pem"),
            agent.stateDir(),
            fleet.withTls());
    try {
      InferenceClient client = new InferenceClient(restarted.inferenceUri());
      JsonNode response =
          Waits.until(
                  "the restarted agent to serve " + model,
                  Duration.ofSeconds(30),
                  () -> {
                    HttpResponse<String> answer = client.infer(model, sampleRequest());
                    return answer.statusCode() == 200 ? answer.body() : null;
                  })
              .transform(JsonBody::parse);
      assertEquals(SampleModels.OUTPUT, response.path("outputs").get(0).path("name").asText());
    } finally {
      restarted.close();
    }
  }

  private static void assertOutputsMatchSignature(JsonNode declared, JsonNode actual) {
    assertEquals(declared.size(), actual.size(), "outputs: " + actual);
    Set<String> declaredNames = new HashSet<>();
    declared.forEach(output -> declaredNames.add(output.path("name").asText()));
    for (JsonNode output : actual) {
      assertTrue(declaredNames.contains(output.path("name").asText()), "unexpected " + output);
      assertEquals("FP32", output.path("datatype").asText(), output.path("name").asText());
      long elements = 1;
      for (JsonNode dim : output.path("shape")) {
        assertTrue(dim.asLong() > 0, "concrete shape expected: " + output.path("shape"));
        elements *= dim.asLong();
      }
      assertEquals(elements, output.path("data").size(), "data length matches shape");
    }
  }

  private static JsonNode sampleRequest() {
    ObjectNode request = JSON.createObjectNode();
    ObjectNode input = request.putArray("inputs").addObject();
    input.put("name", SampleModels.INPUT).put("datatype", "FP32");
    input.putArray("shape").add(1).add(4);
    input.putArray("data").add(1).add(2).add(3).add(4);
    return request;
  }

  /** A client on the device calling infer as fast as it can, counting what it sees. */
  private static final class InferLoop implements Runnable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicInteger calls = new AtomicInteger();
    final Set<String> versionsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    private final InferenceClient client;
    private final String model;
    private final JsonNode request;

    InferLoop(InferenceClient client, String model, JsonNode request) {
      this.client = client;
      this.model = model;
      this.request = request;
    }

    @Override
    public void run() {
      while (running.get()) {
        try {
          HttpResponse<String> response = client.infer(model, request);
          calls.incrementAndGet();
          if (response.statusCode() != 200) {
            failures.add(response.statusCode() + " " + response.body());
          } else {
            versionsSeen.add(JsonBody.parse(response.body()).path("model_version").asText());
          }
        } catch (RuntimeException e) {
          failures.add(e.toString());
        }
      }
    }
  }

  /** The model the test publishes: silero VAD when ../shared/models has it, else our own. */
  private record TestModel(String name, byte[] version1, byte[] version2, boolean silero) {

    static TestModel realOrGenerated(RepoLayout repo) throws Exception {
      var silero = repo.sharedModel("silero_vad_v5.onnx");
      if (silero.isEmpty()) {
        return new TestModel(
            "classifier", SampleModels.classifier(1), SampleModels.classifier(2), false);
      }
      byte[] bytes = Files.readAllBytes(silero.get());
      // Version 2: the same network with other metadata, so other bytes and another sha256.
      byte[] retagged =
          ModelProto.parseFrom(bytes).toBuilder()
              .setDocString("silero VAD v5, republished by the ModelFleet e2e test as version 2")
              .build()
              .toByteArray();
      return new TestModel("silero-vad", bytes, retagged, true);
    }

    JsonNode request(JsonNode metadata) {
      if (!silero) {
        return sampleRequest();
      }
      // 512 samples of 16 kHz audio, a zero recurrent state and the sample rate.
      ObjectNode request = JSON.createObjectNode();
      var inputs = request.putArray("inputs");
      ObjectNode audio = inputs.addObject().put("name", "input").put("datatype", "FP32");
      audio.putArray("shape").add(1).add(512);
      var samples = audio.putArray("data");
      for (int i = 0; i < 512; i++) {
        samples.add(Math.sin(i / 8.0) * 0.3);
      }
      ObjectNode state = inputs.addObject().put("name", "state").put("datatype", "FP32");
      state.putArray("shape").add(2).add(1).add(128);
      var zeros = state.putArray("data");
      for (int i = 0; i < 256; i++) {
        zeros.add(0.0);
      }
      ObjectNode rate = inputs.addObject().put("name", "sr").put("datatype", "INT64");
      rate.putArray("shape");
      rate.putArray("data").add(16000);
      return request;
    }
  }

  private static final class JsonBody {
    static JsonNode parse(String body) {
      try {
        return JSON.readTree(body);
      } catch (java.io.IOException e) {
        throw new IllegalStateException("not JSON: " + body, e);
      }
    }
  }
}
