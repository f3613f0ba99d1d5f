package dev.modelfleet.agent.transport.oip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.ByteString;
import dev.modelfleet.agent.inference.ApiToken;
import dev.modelfleet.agent.inference.LocalInference;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.agent.testing.SharedModels;
import dev.modelfleet.inference.v2.GRPCInferenceServiceGrpc;
import dev.modelfleet.inference.v2.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import dev.modelfleet.inference.v2.InferTensorContents;
import dev.modelfleet.inference.v2.ModelInferRequest;
import dev.modelfleet.inference.v2.ModelInferResponse;
import dev.modelfleet.inference.v2.ModelMetadataRequest;
import dev.modelfleet.inference.v2.ModelMetadataResponse;
import dev.modelfleet.inference.v2.ModelReadyRequest;
import dev.modelfleet.inference.v2.ServerLiveRequest;
import dev.modelfleet.inference.v2.ServerMetadataRequest;
import dev.modelfleet.inference.v2.ServerReadyRequest;
import dev.modelfleet.onnx.samples.SampleModels;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's Open Inference Protocol gRPC endpoint as any client of the protocol sees it: the
 * standard messages (stubs generated from the protocol's .proto) over a real socket, against real
 * ONNX Runtime sessions; every answer is compared with what {@code OrtSession.run} gives for the
 * same model and inputs.
 */
class OipConformanceTest {

  static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
  static final AtomicBoolean READY = new AtomicBoolean(true);
  static final String TOKEN = "s3cret-local-token";
  static Path sample;
  static ModelRegistry registry;
  static OipServer server;
  static OipServer guarded;
  static ManagedChannel channel;
  static ManagedChannel guardedChannel;
  static GRPCInferenceServiceBlockingStub client;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    sample = dir.resolve("classifier.onnx");
    Files.write(sample, SampleModels.classifier(7));
    registry = new ModelRegistry();
    registry.swap(
        new ServedModel("classifier", "3", "c-3", "abc", new OrtModelLoader(1).load(sample)));
    LocalInference inference =
        new LocalInference(registry, READY::get, name -> name.equals("coming-back"));
    InetAddress loopback = InetAddress.getLoopbackAddress();
    server = new OipServer(inference, loopback, 0, 2, ApiToken.NONE, "test-1").start();
    guarded = new OipServer(inference, loopback, 0, 2, ApiToken.of(TOKEN), "test-1").start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    guardedChannel =
        NettyChannelBuilder.forAddress("127.0.0.1", guarded.port()).usePlaintext().build();
    client =
        GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    guardedChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.close();
    guarded.close();
    registry.closeAll();
  }

  @Test
  void theServerIsLiveAndReadyAsTheAgentSays() {
    assertTrue(client.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    assertTrue(client.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
    READY.set(false);
    try {
      assertFalse(client.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
    } finally {
      READY.set(true);
    }
    var metadata = client.serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertEquals("modelfleet-agent", metadata.getName());
    assertEquals("test-1", metadata.getVersion());
    assertTrue(metadata.getExtensionsList().contains("statistics"), metadata.toString());
  }

  @Test
  void aModelIsReadyUnknownOrComingBack() {
    assertTrue(
        client.modelReady(ModelReadyRequest.newBuilder().setName("classifier").build()).getReady());
    assertTrue(
        client
            .modelReady(
                ModelReadyRequest.newBuilder().setName("classifier").setVersion("3").build())
            .getReady());
    assertFalse(
        client
            .modelReady(
                ModelReadyRequest.newBuilder().setName("classifier").setVersion("2").build())
            .getReady());
    assertFalse(
        client
            .modelReady(ModelReadyRequest.newBuilder().setName("coming-back").build())
            .getReady());
    StatusRuntimeException unknown =
        assertThrows(
            StatusRuntimeException.class,
            () -> client.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
  }

  @Test
  void metadataNamesTheModelsInputsAndOutputsAsOnnxRuntimeDoes() throws Exception {
    ModelMetadataResponse metadata =
        client.modelMetadata(ModelMetadataRequest.newBuilder().setName("classifier").build());
    assertEquals("classifier", metadata.getName());
    assertEquals(List.of("3"), metadata.getVersionsList());
    assertEquals("onnxruntime_onnx", metadata.getPlatform());
    try (OrtSession session = ENV.createSession(sample.toString(), singleThreaded())) {
      assertSameTensors(session.getInputInfo(), metadata.getInputsList());
      assertSameTensors(session.getOutputInfo(), metadata.getOutputsList());
    }
    assertEquals("FP32", metadata.getInputs(0).getDatatype());
    assertEquals(List.of(-1L, 4L), metadata.getInputs(0).getShapeList());
  }

  @Test
  void theGeneratedClassifierAnswersAsOrtSessionRunWithRawAndTypedContents() throws Exception {
    Map<String, Input> inputs = new LinkedHashMap<>();
    inputs.put(SampleModels.INPUT, Input.floats(new long[] {2, 4}, new Random(1)));
    assertAnswersAsOrt("classifier", sample, inputs);
  }

  @Test
  void sileroVadAnswersAsOrtSessionRun() throws Exception {
    Path file = SharedModels.require("silero_vad_v5.onnx");
    serve("vad", file);
    Map<String, Input> inputs = new LinkedHashMap<>();
    inputs.put("input", Input.floats(new long[] {1, 512}, new Random(2)));
    inputs.put("state", Input.floats(new long[] {2, 1, 128}, new Random(3)));
    inputs.put("sr", Input.longs(new long[] {}, 16000));
    assertAnswersAsOrt("vad", file, inputs);
  }

  @Test
  void thePaddleOcrClassifierAnswersAsOrtSessionRun() throws Exception {
    Path file = SharedModels.require("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    serve("cls", file);
    ModelMetadataResponse metadata =
        client.modelMetadata(ModelMetadataRequest.newBuilder().setName("cls").build());
    Map<String, Input> inputs = new LinkedHashMap<>();
    inputs.put(
        metadata.getInputs(0).getName(), Input.floats(new long[] {1, 3, 48, 192}, new Random(4)));
    assertAnswersAsOrt("cls", file, inputs);
  }

  @Test
  void anUnknownModelIsNotFoundAndOneComingBackIsUnavailable() {
    StatusRuntimeException unknown =
        infer(request("nope", Input.floats(new long[] {1, 4}, new Random(5))));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    assertTrue(
        unknown.getStatus().getDescription().contains("unknown model 'nope'"),
        unknown.getMessage());
    StatusRuntimeException later =
        infer(request("coming-back", Input.floats(new long[] {1, 4}, new Random(5))));
    assertEquals(Status.Code.UNAVAILABLE, later.getStatus().getCode());
  }

  @Test
  void aWrongShapeIsAnInvalidArgumentThatSaysWhichShape() {
    StatusRuntimeException e =
        infer(request("classifier", Input.floats(new long[] {1, 5}, new Random(6))));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("shape [1, 5]"), e.getMessage());
  }

  @Test
  void aWrongDatatypeIsAnInvalidArgument() {
    ModelInferRequest.Builder b =
        request("classifier", Input.longs(new long[] {1, 4}, 1, 2, 3, 4)).toBuilder();
    StatusRuntimeException e = infer(b.build());
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("datatype INT64"), e.getMessage());
    StatusRuntimeException unsupported =
        infer(b.setInputs(0, b.getInputs(0).toBuilder().setDatatype("UINT64")).build());
    assertEquals(Status.Code.INVALID_ARGUMENT, unsupported.getStatus().getCode());
    assertTrue(
        unsupported.getStatus().getDescription().contains("UINT64"), unsupported.getMessage());
  }

  @Test
  void rawContentsOfTheWrongLengthAreAnInvalidArgumentThatNamesBothLengths() {
    Input input = Input.floats(new long[] {1, 4}, new Random(7));
    ModelInferRequest raw = rawRequest("classifier", Map.of(SampleModels.INPUT, input));
    ModelInferRequest shortOne =
        raw.toBuilder().setRawInputContents(0, raw.getRawInputContents(0).substring(0, 12)).build();
    StatusRuntimeException e = infer(shortOne);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("12 bytes"), e.getMessage());
    assertTrue(e.getStatus().getDescription().contains("needs 16"), e.getMessage());
    StatusRuntimeException missing =
        infer(raw.toBuilder().addRawInputContents(ByteString.copyFrom(new byte[4])).build());
    assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
    assertTrue(
        missing.getStatus().getDescription().contains("2 entries for 1 inputs"),
        missing.getMessage());
  }

  @Test
  void withAnApiTokenEveryCallButHealthNeedsTheBearerToken() {
    GRPCInferenceServiceBlockingStub anonymous =
        GRPCInferenceServiceGrpc.newBlockingStub(guardedChannel);
    assertTrue(anonymous.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    ModelMetadataRequest ask = ModelMetadataRequest.newBuilder().setName("classifier").build();
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> anonymous.modelMetadata(ask));
    assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("Authorization: Bearer"));
    assertEquals(
        Status.Code.UNAUTHENTICATED,
        assertThrows(StatusRuntimeException.class, () -> withToken("wrong").modelMetadata(ask))
            .getStatus()
            .getCode());
    assertEquals("classifier", withToken(TOKEN).modelMetadata(ask).getName());
  }

  private static GRPCInferenceServiceBlockingStub withToken(String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return GRPCInferenceServiceGrpc.newBlockingStub(guardedChannel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static StatusRuntimeException infer(ModelInferRequest request) {
    return assertThrows(StatusRuntimeException.class, () -> client.modelInfer(request));
  }

  private static void serve(String name, Path file) throws Exception {
    if (registry.peek(name) == null) {
      registry.swap(new ServedModel(name, "1", name + "-1", "x", new OrtModelLoader(1).load(file)));
    }
  }

  /** Raw and typed requests both answer exactly what a session of the same model computes. */
  private static void assertAnswersAsOrt(String model, Path file, Map<String, Input> inputs)
      throws Exception {
    Map<String, Object> expected = new LinkedHashMap<>();
    try (OrtSession session = ENV.createSession(file.toString(), singleThreaded())) {
      Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
      for (var e : inputs.entrySet()) {
        feeds.put(e.getKey(), e.getValue().toOrt());
      }
      try (OrtSession.Result result = session.run(feeds)) {
        for (Map.Entry<String, OnnxValue> out : result) {
          expected.put(out.getKey(), ((OnnxTensor) out.getValue()).getValue());
        }
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }
    ModelInferResponse raw =
        client.modelInfer(rawRequest(model, inputs).toBuilder().setId("r-1").build());
    assertEquals("r-1", raw.getId());
    assertEquals(model, raw.getModelName());
    assertEquals(expected.size(), raw.getOutputsCount());
    assertEquals(raw.getOutputsCount(), raw.getRawOutputContentsCount());
    ModelInferRequest.Builder typed = ModelInferRequest.newBuilder().setModelName(model);
    inputs.forEach((name, input) -> typed.addInputs(input.typed(name)));
    ModelInferResponse typedResponse = client.modelInfer(typed.build());
    assertEquals(0, typedResponse.getRawOutputContentsCount());
    for (int i = 0; i < raw.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor out = raw.getOutputs(i);
      float[] want = flatFloats(expected.get(out.getName()));
      ByteBuffer bytes =
          raw.getRawOutputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] got = new float[bytes.remaining() / 4];
      bytes.asFloatBuffer().get(got);
      assertArrayEquals(want, got, "raw output " + out.getName());
      ModelInferResponse.InferOutputTensor typedOut = typedResponse.getOutputs(i);
      assertEquals(out.getName(), typedOut.getName());
      assertEquals(out.getShapeList(), typedOut.getShapeList());
      List<Float> typedValues = typedOut.getContents().getFp32ContentsList();
      float[] typedArray = new float[typedValues.size()];
      for (int j = 0; j < typedArray.length; j++) {
        typedArray[j] = typedValues.get(j);
      }
      assertArrayEquals(want, typedArray, "typed output " + out.getName());
    }
  }

  private static ModelInferRequest request(String model, Input input) {
    return rawRequest(model, Map.of(SampleModels.INPUT, input));
  }

  private static ModelInferRequest rawRequest(String model, Map<String, Input> inputs) {
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
    inputs.forEach(
        (name, input) -> {
          b.addInputs(input.typed(name).toBuilder().clearContents());
          b.addRawInputContents(ByteString.copyFrom(input.raw()));
        });
    return b.build();
  }

  private static OrtSession.SessionOptions singleThreaded() throws Exception {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(1);
    options.setInterOpNumThreads(1);
    return options;
  }

  private static void assertSameTensors(
      Map<String, NodeInfo> ort, List<ModelMetadataResponse.TensorMetadata> served) {
    assertEquals(new ArrayList<>(ort.keySet()), served.stream().map(t -> t.getName()).toList());
    for (ModelMetadataResponse.TensorMetadata t : served) {
      TensorInfo info = (TensorInfo) ort.get(t.getName()).getInfo();
      assertArrayEquals(
          info.getShape(), t.getShapeList().stream().mapToLong(Long::longValue).toArray());
    }
  }

  /** ONNX Runtime's nested Java arrays (float[][]..., or a float scalar) flattened. */
  private static float[] flatFloats(Object value) {
    List<Float> all = new ArrayList<>();
    flatten(value, all);
    float[] out = new float[all.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = all.get(i);
    }
    return out;
  }

  private static void flatten(Object value, List<Float> into) {
    if (value instanceof Float f) {
      into.add(f);
    } else if (value instanceof float[] a) {
      for (float f : a) {
        into.add(f);
      }
    } else {
      for (Object o : (Object[]) value) {
        flatten(o, into);
      }
    }
  }

  /** One input's values, as an ONNX Runtime tensor, protocol raw bytes or typed contents. */
  private record Input(long[] shape, float[] floats, long[] longs) {

    static Input floats(long[] shape, Random random) {
      int n = 1;
      for (long d : shape) {
        n *= (int) d;
      }
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = (float) random.nextGaussian() * 0.3f;
      }
      return new Input(shape, values, null);
    }

    static Input longs(long[] shape, long... values) {
      return new Input(shape, null, values);
    }

    OnnxTensor toOrt() throws Exception {
      return floats != null
          ? OnnxTensor.createTensor(ENV, FloatBuffer.wrap(floats), shape)
          : OnnxTensor.createTensor(ENV, LongBuffer.wrap(longs), shape);
    }

    byte[] raw() {
      ByteBuffer b =
          ByteBuffer.allocate(floats != null ? floats.length * 4 : longs.length * 8)
              .order(ByteOrder.LITTLE_ENDIAN);
      if (floats != null) {
        b.asFloatBuffer().put(floats);
      } else {
        b.asLongBuffer().put(longs);
      }
      return b.array();
    }

    ModelInferRequest.InferInputTensor typed(String name) {
      ModelInferRequest.InferInputTensor.Builder b =
          ModelInferRequest.InferInputTensor.newBuilder()
              .setName(name)
              .setDatatype(floats != null ? "FP32" : "INT64");
      for (long d : shape) {
        b.addShape(d);
      }
      InferTensorContents.Builder contents = InferTensorContents.newBuilder();
      if (floats != null) {
        for (float f : floats) {
          contents.addFp32Contents(f);
        }
      } else {
        for (long l : longs) {
          contents.addInt64Contents(l);
        }
      }
      return b.setContents(contents).build();
    }
  }
}
