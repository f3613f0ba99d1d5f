package dev.modelfleet.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.testing.AgentUnderTest;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.inference.v2.GRPCInferenceServiceGrpc;
import dev.modelfleet.inference.v2.InferTensorContents;
import dev.modelfleet.inference.v2.ModelInferRequest;
import dev.modelfleet.inference.v2.ModelInferResponse;
import dev.modelfleet.inference.v2.ServerReadyRequest;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole agent (enrolled, synced, serving a model it downloaded) seen by the programs on its
 * device: the same answer over REST and over the Open Inference Protocol's gRPC port, and {@code
 * modelfleet-agent status} with the agent running and after it stopped.
 */
class AgentLocalProtocolsTest {

  static final String INFER =
      """
      {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";

  @TempDir Path dir;
  final FleetFixture fleet = new FleetFixture();

  @Test
  void restAndGrpcAnswerAlikeAndStatusTellsWhatTheAgentDoes() throws Exception {
    byte[] model = SampleModels.classifier(5);
    Path stateDir = dir.resolve("state");
    try (FakeControlPlane server = new FakeControlPlane(fleet)) {
      server.artifacts.put(Dsse.sha256Hex(model), model);
      server.desiredState =
          fleet.signDesired(fleet.desiredState(fleet.desiredModel("classifier", "5", model)));
      try (Agent agent = AgentUnderTest.start(dir, fleet, server, Map.of("grpc-port", "0"))) {
        DeploymentProgress settled = AgentUnderTest.settled(server);
        assertEquals(
            DeploymentState.DEPLOYMENT_STATE_ACTIVE, settled.getState(), settled.getReason());
        int httpPort =
            Integer.parseInt(Files.readString(stateDir.resolve("inference.port")).trim());
        int grpcPort =
            Integer.parseInt(Files.readString(stateDir.resolve("inference-grpc.port")).trim());

        HttpResponse<String> rest =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:" + httpPort + "/v2/models/classifier/infer"))
                        .POST(HttpRequest.BodyPublishers.ofString(INFER))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertEquals(200, rest.statusCode(), rest.body());
        JsonNode restData =
            new ObjectMapper().readTree(rest.body()).get("outputs").get(0).get("data");

        ManagedChannel channel =
            NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
          var client =
              GRPCInferenceServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(1, TimeUnit.MINUTES);
          assertTrue(client.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
          ModelInferResponse grpc =
              client.modelInfer(
                  ModelInferRequest.newBuilder()
                      .setModelName("classifier")
                      .addInputs(
                          ModelInferRequest.InferInputTensor.newBuilder()
                              .setName("input")
                              .setDatatype("FP32")
                              .addShape(1)
                              .addShape(4)
                              .setContents(
                                  InferTensorContents.newBuilder()
                                      .addFp32Contents(1)
                                      .addFp32Contents(2)
                                      .addFp32Contents(3)
                                      .addFp32Contents(4)))
                      .build());
          assertEquals("5", grpc.getModelVersion());
          float[] viaGrpc = new float[grpc.getOutputs(0).getContents().getFp32ContentsCount()];
          float[] viaRest = new float[restData.size()];
          for (int i = 0; i < viaGrpc.length; i++) {
            viaGrpc[i] = grpc.getOutputs(0).getContents().getFp32Contents(i);
          }
          for (int i = 0; i < viaRest.length; i++) {
            viaRest[i] = (float) restData.get(i).asDouble();
          }
          assertArrayEquals(viaRest, viaGrpc);
        } finally {
          channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }

        Run running = status(stateDir);
        assertEquals(0, running.code(), running.out());
        assertTrue(running.out().contains("connection   connected"), running.out());
        assertTrue(running.out().contains("server       " + server.address()), running.out());
        assertTrue(running.out().matches("(?s).*classifier +5 +5 +5.*"), running.out());
        assertTrue(running.out().contains("grpc 127.0.0.1:" + grpcPort), running.out());
        assertTrue(running.out().contains("downloads    none pending"), running.out());
        assertTrue(!running.out().contains("last sync    never"), running.out());
        JsonNode json = new ObjectMapper().readTree(status(stateDir, "--json").out());
        assertTrue(json.get("device_id").asText().length() > 0, json.toString());
        assertTrue(json.get("running").asBoolean());
      }
    }
    Run stopped = status(stateDir);
    assertEquals(3, stopped.code(), stopped.out());
    assertTrue(stopped.out().contains("agent not running"), stopped.out());
    assertTrue(stopped.out().matches("(?s).*classifier +- +5 +-.*"), stopped.out());
  }

  record Run(int code, String out) {}

  static Run status(Path stateDir, String... more) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = new String[3 + more.length];
    args[0] = "status";
    args[1] = "--state-dir";
    args[2] = stateDir.toString();
    System.arraycopy(more, 0, args, 3, more.length);
    int code =
        AgentMain.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
  }
}
