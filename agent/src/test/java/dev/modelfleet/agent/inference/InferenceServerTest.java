package dev.modelfleet.agent.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.VersionStats;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Open Inference Protocol v2 API over a real socket with java.net.http. */
class InferenceServerTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT = HttpClient.newHttpClient();
  static final AtomicBoolean READY = new AtomicBoolean(true);
  static ModelRegistry registry;
  static InferenceServer server;
  static String base;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("m.onnx");
    Files.write(file, SampleModels.classifier(1));
    registry = new ModelRegistry();
    registry.swap(
        new ServedModel(
            "classifier", "3", "classifier-3", "abc", new OrtModelLoader(1).load(file)));
    server = new InferenceServer(registry, READY::get, 0, 4, "test").start();
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
    registry.closeAll();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(base + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String error(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body()).path("error").asText();
  }

  @Test
  void healthEndpoints() throws Exception {
    assertEquals(200, get("/v2/health/live").statusCode());
    assertEquals(200, get("/v2/health/ready").statusCode());
    READY.set(false);
    try {
      assertEquals(503, get("/v2/health/ready").statusCode());
    } finally {
      READY.set(true);
    }
    assertEquals(200, get("/v2/models/classifier/ready").statusCode());
    assertEquals(404, get("/v2/models/nope/ready").statusCode());
  }

  @Test
  void modelMetadataDescribesInputsAndOutputs() throws Exception {
    HttpResponse<String> response = get("/v2/models/classifier");
    assertEquals(200, response.statusCode());
    JsonNode body = JSON.readTree(response.body());
    assertEquals("classifier", body.get("name").asText());
    assertEquals("3", body.get("versions").get(0).asText());
    assertEquals("onnxruntime_onnx", body.get("platform").asText());
    assertEquals("input", body.get("inputs").get(0).get("name").asText());
    assertEquals("FP32", body.get("inputs").get(0).get("datatype").asText());
    assertEquals("[-1,4]", body.get("inputs").get(0).get("shape").toString());
    assertEquals("probabilities", body.get("outputs").get(0).get("name").asText());
  }

  @Test
  void goodRequestGetsProbabilities() throws Exception {
    HttpResponse<String> response =
        post(
            "/v2/models/classifier/infer",
            """
        {"id":"r1","inputs":[{"name":"input","shape":[2,4],"datatype":"FP32",
          "data":[1,2,3,4,0.5,-1,2,0]}],
         "outputs":[{"name":"probabilities"}]}""");
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = JSON.readTree(response.body());
    assertEquals("classifier", body.get("model_name").asText());
    assertEquals("3", body.get("model_version").asText());
    assertEquals("r1", body.get("id").asText());
    JsonNode out = body.get("outputs").get(0);
    assertEquals("probabilities", out.get("name").asText());
    assertEquals("FP32", out.get("datatype").asText());
    assertEquals("[2,3]", out.get("shape").toString());
    assertEquals(6, out.get("data").size());
    double sum = 0;
    for (int i = 0; i < 3; i++) {
      sum += out.get("data").get(i).asDouble();
    }
    assertEquals(1.0, sum, 1e-5);
  }

  @Test
  void nestedDataIsAcceptedToo() throws Exception {
    HttpResponse<String> response =
        post(
            "/v2/models/classifier/infer",
            """
        {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[[1,2,3,4]]}]}""");
    assertEquals(200, response.statusCode(), response.body());
  }

  @Test
  void wrongShapeIsA400ThatSaysWhatIsExpected() throws Exception {
    HttpResponse<String> response =
        post(
            "/v2/models/classifier/infer",
            """
        {"inputs":[{"name":"input","shape":[1,5],"datatype":"FP32","data":[1,2,3,4,5]}]}""");
    assertEquals(400, response.statusCode());
    assertTrue(
        error(response).contains("shape [1, 5]") && error(response).contains("[-1, 4]"),
        error(response));
  }

  @Test
  void dataLengthNotMatchingTheShapeIsA400() throws Exception {
    HttpResponse<String> response =
        post(
            "/v2/models/classifier/infer",
            """
        {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3]}]}""");
    assertEquals(400, response.statusCode());
    assertTrue(error(response).contains("3 data elements"), error(response));
  }

  @Test
  void wrongInputNameIsA400ThatListsTheInputs() throws Exception {
    HttpResponse<String> response =
        post(
            "/v2/models/classifier/infer",
            """
        {"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""");
    assertEquals(400, response.statusCode());
    assertTrue(
        error(response).contains("unknown input 'x'") && error(response).contains("[input]"),
        error(response));
  }

  @Test
  void wrongDatatypeAndMalformedJsonAre400s() throws Exception {
    HttpResponse<String> response =
        post(
            "/v2/models/classifier/infer",
            """
        {"inputs":[{"name":"input","shape":[1,4],"datatype":"INT64","data":[1,2,3,4]}]}""");
    assertEquals(400, response.statusCode());
    assertTrue(error(response).contains("expects FP32"), error(response));
    assertEquals(400, post("/v2/models/classifier/infer", "{\"inputs\":[").statusCode());
    assertEquals(400, post("/v2/models/classifier/infer", "{}").statusCode());
  }

  @Test
  void unknownModelIsA404() throws Exception {
    HttpResponse<String> response =
        post(
            "/v2/models/nope/infer",
            """
        {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""");
    assertEquals(404, response.statusCode());
    assertTrue(error(response).contains("unknown model 'nope'"), error(response));
    assertEquals(404, get("/v2/models/nope").statusCode());
  }

  @Test
  void onlyModelRunsAreCountedAndTimedAgainstTheServedVersion() throws Exception {
    VersionStats.Snapshot before = figuresOfVersion3();
    assertEquals(
        200,
        post(
                "/v2/models/classifier/infer",
                """
        {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""")
            .statusCode());
    assertEquals(
        400,
        post(
                "/v2/models/classifier/infer",
                """
        {"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""")
            .statusCode());
    assertEquals(400, post("/v2/models/classifier/infer", "{\"inputs\":[").statusCode());

    VersionStats.Snapshot after = figuresOfVersion3();
    assertEquals(before.requests() + 1, after.requests(), "malformed requests never ran");
    assertEquals(before.errors(), after.errors(), "a refused request is not a model error");
    assertEquals("classifier-3", after.variantId());
    assertEquals("cpu", after.executionProvider());
    assertTrue(after.p50Ms() > 0 && after.p95Ms() >= after.p50Ms(), after.toString());
  }

  static VersionStats.Snapshot figuresOfVersion3() {
    return registry.figures().stream()
        .filter(f -> f.model().equals("classifier") && f.version().equals("3"))
        .findFirst()
        .orElseThrow();
  }
}
