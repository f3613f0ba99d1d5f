package dev.modelfleet.agent.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API's binary tensor data extension ({@code Inference-Header-Content-Length}), the
 * statistics extension ({@code /v2/models/{name}/stats}) and the bearer token, over a real socket
 * and a real ONNX Runtime session. Binary answers are compared with the JSON answer to the same
 * inputs.
 */
class InferenceServerBinaryAndStatsTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT = HttpClient.newHttpClient();
  static final String TOKEN = "local-secret";
  static final float[] FEATURES = {0.5f, -1.25f, 2f, 0.125f, 1f, 1f, -0.5f, 0f};
  static ModelRegistry registry;
  static InferenceServer server;
  static InferenceServer guarded;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("m.onnx");
    Files.write(file, SampleModels.classifier(3));
    registry = new ModelRegistry();
    registry.swap(
        new ServedModel("classifier", "3", "c-3", "abc", new OrtModelLoader(1).load(file)));
    LocalInference inference = new LocalInference(registry, () -> true, name -> false);
    InetAddress loopback = InetAddress.getLoopbackAddress();
    server = new InferenceServer(inference, loopback, ApiToken.NONE, 0, 2, "t").start();
    guarded = new InferenceServer(inference, loopback, ApiToken.of(TOKEN), 0, 2, "t").start();
  }

  @AfterAll
  static void stop() {
    server.close();
    guarded.close();
    registry.closeAll();
  }

  @Test
  void binaryInputsAndOutputsCarryTheSameValuesAsJson() throws Exception {
    float[] viaJson = jsonProbabilities();
    String header =
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[2,4],"
            + "\"parameters\":{\"binary_data_size\":32}}],"
            + "\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":true}}]}";
    HttpResponse<byte[]> response = postBinary(header, floats(FEATURES), header.length());
    assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
    assertEquals(
        "application/octet-stream", response.headers().firstValue("Content-Type").orElse(""));
    int jsonLength =
        Integer.parseInt(
            response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    JsonNode answer = JSON.readTree(Arrays.copyOf(response.body(), jsonLength));
    JsonNode output = answer.get("outputs").get(0);
    assertFalse(output.has("data"), answer.toString());
    assertEquals(24, output.get("parameters").get("binary_data_size").asInt());
    ByteBuffer rest =
        ByteBuffer.wrap(response.body(), jsonLength, response.body().length - jsonLength)
            .slice()
            .order(ByteOrder.LITTLE_ENDIAN);
    float[] viaBinary = new float[rest.remaining() / 4];
    rest.asFloatBuffer().get(viaBinary);
    assertArrayEquals(viaJson, viaBinary);
  }

  @Test
  void binaryDataOutputAsksForEveryOutputInBinaryEvenForAJsonRequest() throws Exception {
    String body =
        "{\"parameters\":{\"binary_data_output\":true},\"inputs\":[{\"name\":\"input\","
            + "\"datatype\":\"FP32\",\"shape\":[2,4],\"data\":"
            + Arrays.toString(FEATURES)
            + "}]}";
    HttpResponse<byte[]> response =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(base(server) + "/v2/models/classifier/infer"))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    int jsonLength =
        Integer.parseInt(
            response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    assertEquals(jsonLength + 24, response.body().length);
  }

  @Test
  void badBinaryLengthsAre400sThatSayWhatIsWrong() throws Exception {
    String header =
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[2,4],"
            + "\"parameters\":{\"binary_data_size\":32}}]}";
    byte[] data = floats(FEATURES);
    assertBadRequest(
        postBinary(header, data, header.length() + data.length + 1),
        "Inference-Header-Content-Length is " + (header.length() + data.length + 1));
    assertBadRequest(postBinary(header, Arrays.copyOf(data, 28), header.length()), "only 28 bytes");
    assertBadRequest(postBinary(header, Arrays.copyOf(data, 36), header.length()), "4 bytes more");
    String wrongSize = header.replace("32}", "28}");
    assertBadRequest(
        postBinary(wrongSize, Arrays.copyOf(data, 28), wrongSize.length()),
        "28 bytes of binary data but its shape [2, 4] of FP32 needs 32");
    assertBadRequest(postBinary(header, data, -1), "Inference-Header-Content-Length is -1");
    HttpResponse<byte[]> notANumber =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(base(server) + "/v2/models/classifier/infer"))
                .header("Inference-Header-Content-Length", "lots")
                .POST(HttpRequest.BodyPublishers.ofString(header))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertBadRequest(notANumber, "must be the JSON header's length");
    String noBinary =
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[2,4],"
            + "\"parameters\":{\"binary_data_size\":32}}]}";
    HttpResponse<byte[]> jsonOnly =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(base(server) + "/v2/models/classifier/infer"))
                .POST(HttpRequest.BodyPublishers.ofString(noBinary))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertBadRequest(jsonOnly, "no binary section");
  }

  @Test
  void statisticsCountAndTimeEveryRequestAsTritonReportsThem() throws Exception {
    JsonNode before = stats("/v2/models/classifier/stats").get("model_stats").get(0);
    for (int i = 0; i < 3; i++) {
      jsonProbabilities();
    }
    assertBadRequest(postBinary("{\"inputs\":[]}", new byte[0], 13), "no \"inputs\"");
    JsonNode after = stats("/v2/models/classifier/stats").get("model_stats").get(0);
    assertEquals("classifier", after.get("name").asText());
    assertEquals("3", after.get("version").asText());
    assertEquals(3, after.get("inference_count").asLong() - before.get("inference_count").asLong());
    assertEquals(3, after.get("execution_count").asLong() - before.get("execution_count").asLong());
    JsonNode figures = after.get("inference_stats");
    for (String phase :
        new String[] {"success", "compute_input", "compute_infer", "compute_output"}) {
      long added =
          figures.get(phase).get("ns").asLong()
              - before.get("inference_stats").get(phase).get("ns").asLong();
      assertTrue(added > 0, phase + " took no time: " + figures);
    }
    assertTrue(
        figures.get("success").get("ns").asLong()
            >= figures.get("compute_infer").get("ns").asLong(),
        "a request takes at least its model run: " + figures);
    assertEquals(0, figures.get("fail").get("count").asLong(), "a malformed request never ran");
    assertTrue(after.get("last_inference").asLong() > 0);
    JsonNode all = stats("/v2/models/stats");
    assertEquals("classifier", all.get("model_stats").get(0).get("name").asText());
    HttpResponse<String> unknown = get(server, "/v2/models/nope/stats", null);
    assertEquals(404, unknown.statusCode());
    assertTrue(unknown.body().contains("unknown model 'nope'"), unknown.body());
  }

  @Test
  void withAnApiTokenEveryRequestButHealthNeedsIt() throws Exception {
    assertEquals(200, get(guarded, "/v2/health/ready", null).statusCode());
    HttpResponse<String> anonymous = get(guarded, "/v2/models/classifier", null);
    assertEquals(401, anonymous.statusCode());
    assertEquals("Bearer", anonymous.headers().firstValue("WWW-Authenticate").orElse(""));
    assertTrue(anonymous.body().contains("Authorization: Bearer"), anonymous.body());
    assertEquals(401, get(guarded, "/v2/models/classifier", "Bearer nope").statusCode());
    assertEquals(200, get(guarded, "/v2/models/classifier", "Bearer " + TOKEN).statusCode());
  }

  static float[] jsonProbabilities() throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[2,4],\"data\":"
            + Arrays.toString(FEATURES)
            + "}]}";
    HttpResponse<String> response =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(base(server) + "/v2/models/classifier/infer"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    JsonNode data = JSON.readTree(response.body()).get("outputs").get(0).get("data");
    float[] values = new float[data.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) data.get(i).asDouble();
    }
    return values;
  }

  static HttpResponse<byte[]> postBinary(String header, byte[] binary, int declaredLength)
      throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(header.getBytes(StandardCharsets.UTF_8));
    body.write(binary);
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(base(server) + "/v2/models/classifier/infer"))
            .header("Content-Type", "application/octet-stream")
            .header("Inference-Header-Content-Length", String.valueOf(declaredLength))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  static void assertBadRequest(HttpResponse<byte[]> response, String says) throws Exception {
    String body = new String(response.body(), StandardCharsets.UTF_8);
    assertEquals(400, response.statusCode(), body);
    String error = JSON.readTree(body).get("error").asText();
    assertTrue(error.contains(says), "'" + error + "' should say '" + says + "'");
  }

  static byte[] floats(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  static JsonNode stats(String path) throws Exception {
    HttpResponse<String> response = get(server, path, null);
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  static HttpResponse<String> get(InferenceServer target, String path, String authorization)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(target) + path));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String base(InferenceServer target) {
    return "http://127.0.0.1:" + target.port();
  }
}
