package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.deploy.SmokeTestedLoader;
import dev.modelfleet.agent.inference.InferenceServer;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.agent.testing.SharedModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Silero VAD v5, a real third-party model with a dynamic audio axis, a recurrent state and an int64
 * scalar input: load, smoke test from its own input info, and infer over HTTP.
 */
class SileroVadTest {

  @Test
  void loadsPassesTheSmokeTestAndAnswersOverHttp() throws Exception {
    Path file = SharedModels.require("silero_vad_v5.onnx");
    LoadedModel model = new SmokeTestedLoader(new OrtModelLoader(1)).load(file, "vad", "cpu");
    ModelRegistry registry = new ModelRegistry();
    registry.swap(new ServedModel("vad", "5", "vad-5", "2623a295", model));
    try (InferenceServer server = new InferenceServer(registry, () -> true, 0, 2, "t").start()) {
      assertEquals(
          "[input, state, sr]", model.inputs().stream().map(TensorSpec::name).toList().toString());
      assertEquals("INT64", model.inputs().get(2).datatype());
      assertEquals(0, model.inputs().get(2).shape().length);

      String samples =
          IntStream.range(0, 512)
              .mapToObj(i -> Float.toString((float) Math.sin(i / 8.0) * 0.3f))
              .collect(Collectors.joining(","));
      String zeros = Arrays.stream(new String[256]).map(s -> "0").collect(Collectors.joining(","));
      String body =
          "{\"inputs\":["
              + "{\"name\":\"input\",\"shape\":[1,512],\"datatype\":\"FP32\",\"data\":["
              + samples
              + "]},"
              + "{\"name\":\"state\",\"shape\":[2,1,128],\"datatype\":\"FP32\",\"data\":["
              + zeros
              + "]},"
              + "{\"name\":\"sr\",\"shape\":[],\"datatype\":\"INT64\",\"data\":[16000]}]}";
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + server.port() + "/v2/models/vad/infer"))
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      JsonNode outputs = new ObjectMapper().readTree(response.body()).get("outputs");
      JsonNode probability =
          outputs.get(0).get("name").asText().equals("output") ? outputs.get(0) : outputs.get(1);
      double p = probability.get("data").get(0).asDouble();
      assertTrue(p >= 0 && p <= 1, "speech probability in [0,1]: " + p);
      assertEquals("[1,1]", probability.get("shape").toString());
    } finally {
      registry.closeAll();
    }
  }
}
