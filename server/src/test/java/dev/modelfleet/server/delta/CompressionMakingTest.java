package dev.modelfleet.server.delta;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import dev.modelfleet.onnx.delta.WholeCompression;
import dev.modelfleet.onnx.samples.GraphParts;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class CompressionMakingTest {

  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  /** 64 features × 1024 hidden: about 300 kB of Gaussian fp32 weights. */
  private static byte[] fp32Classifier(long seed) {
    return SampleModels.classifier(seed, 64, 1024, 10);
  }

  /**
   * A model whose weights are 300 kB of int8 that looks random to a compressor, as quantized
   * weights do (an Identity graph beside them, so it loads and runs).
   */
  private static byte[] int8Weights(long seed) {
    byte[] raw = new byte[300_000];
    new Random(seed).nextBytes(raw);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("int8-weights")
            .addInput(
                GraphParts.tensorValue(
                    "input", GraphParts.FLOAT, GraphParts.dim("batch"), GraphParts.dim(4)))
            .addOutput(
                GraphParts.tensorValue(
                    "output", GraphParts.FLOAT, GraphParts.dim("batch"), GraphParts.dim(4)))
            .addInitializer(GraphParts.tensor("q", GraphParts.INT8, new long[] {raw.length}, raw))
            .addNode(GraphParts.node("Identity", "identity", List.of("input"), List.of("output")))
            .build();
    return GraphParts.model(graph, "test", 17).build().toByteArray();
  }

  private static JsonPath weighed(String model, String version) {
    return Eventually.get(
        Duration.ofSeconds(30),
        () -> {
          JsonPath body =
              admin()
                  .get("/api/v1/models/" + model + "/versions/" + version + "/compressions")
                  .then()
                  .statusCode(200)
                  .extract()
                  .jsonPath();
          assertEquals(1, body.getList("$").size(), "weighed so far: " + body.prettify());
          return body;
        });
  }

  private static DesiredModel desiredModel(AgentClient.SyncStream stream) throws Exception {
    while (true) {
      ServerMessage message = stream.next();
      if (message.hasDesiredState()) {
        return DesiredState.parseFrom(message.getDesiredState().getPayload()).getModels(0);
      }
    }
  }

  private static byte[] decompressed(byte[] compressed, long signedSize) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WholeCompression.decompress(new ByteArrayInputStream(compressed), out, signedSize);
    return out.toByteArray();
  }

  @Test
  void an_fp32_variant_is_kept_compressed_and_its_device_fetches_the_smaller_copy()
      throws Exception {
    String model = Fixtures.modelWithVersion("1");
    byte[] bytes = fp32Classifier(61);
    JsonPath variant = Fixtures.upload(model, "1", "fp32", "cpu", bytes);
    JsonPath weighed = weighed(model, "1");
    assertTrue(weighed.getBoolean("[0].kept"));
    assertEquals("zstd", weighed.getString("[0].encoding"));
    assertEquals(variant.getString("id"), weighed.getString("[0].variantId"));
    assertEquals(bytes.length, weighed.getLong("[0].targetSize"));
    double ratio = weighed.getDouble("[0].sizeRatio");
    assertTrue(ratio < 0.95 && ratio > 0.5, "Gaussian fp32 weights shrink a little: " + ratio);
    String sha256 = weighed.getString("[0].sha256");
    assertEquals(
        1,
        Db.number(
            "select count(*) from artifacts where sha256 = '"
                + sha256
                + "' and size = "
                + weighed.getLong("[0].size")));

    var enrolled = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    AgentClient.SyncStream stream = agent.sync(enrolled.getDeviceCredential());
    stream.hello();
    adminJson()
        .body(Map.of("deviceId", enrolled.getDeviceId()))
        .post("/api/v1/models/" + model + "/versions/1/assignments")
        .then()
        .statusCode(200);
    DesiredModel desired = desiredModel(stream);

    assertTrue(desired.hasCompressed(), "the signed desired state offers the compressed copy");
    assertFalse(desired.hasDelta(), "the device holds no earlier version");
    assertEquals("zstd", desired.getCompressed().getEncoding());
    assertEquals(sha256, desired.getCompressed().getSha256());
    byte[] fetched =
        AgentClient.concat(
            agent.fetch(enrolled.getDeviceCredential(), sha256, 0), new ArrayList<>());
    assertEquals(desired.getCompressed().getSize(), fetched.length);
    assertArrayEquals(bytes, decompressed(fetched, bytes.length));

    // another device, never offered it, cannot fetch it
    var stranger = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class,
            () -> agent.fetch(stranger.getDeviceCredential(), sha256, 0).hasNext());
    assertEquals(Status.Code.NOT_FOUND, refused.getStatus().getCode());
    stream.cancel();
  }

  @Test
  void weights_that_look_random_like_quantized_ones_are_measured_and_not_kept() {
    String model = Fixtures.modelWithVersion("1");
    byte[] bytes = int8Weights(62);
    Fixtures.upload(model, "1", "int8", "cpu", bytes);

    JsonPath weighed = weighed(model, "1");

    assertFalse(weighed.getBoolean("[0].kept"));
    assertNull(weighed.get("[0].sha256"));
    assertTrue(weighed.getDouble("[0].sizeRatio") > 0.95, "saves less than 5 %");
  }

  @Test
  void the_compressions_of_an_unknown_version_are_not_found() {
    String model = Fixtures.modelWithVersion("1");

    admin().get("/api/v1/models/" + model + "/versions/9/compressions").then().statusCode(404);
    admin().get("/api/v1/models/no-such-model/versions/1/compressions").then().statusCode(404);
  }
}
