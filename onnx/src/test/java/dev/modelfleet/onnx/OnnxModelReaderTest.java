package dev.modelfleet.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.modelfleet.onnx.testing.HostileModels;
import dev.modelfleet.onnx.testing.HostileModels.Hideout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class OnnxModelReaderTest {

  static final Path SHARED_MODELS = Path.of("..", "..", "shared", "models");

  static String refusal(byte[] model) {
    return assertThrows(UnsafeModelException.class, () -> OnnxModelReader.check(model)).code();
  }

  @ParameterizedTest
  @EnumSource(Hideout.class)
  void externalDataIsRefusedWhereverItHides(Hideout where) {
    UnsafeModelException e =
        assertThrows(
            UnsafeModelException.class,
            () -> OnnxModelReader.check(HostileModels.externalData(where, "/etc/hostname", 8)));
    assertEquals("model-external-data", e.code());
    assertTrue(e.getMessage().contains("external file"), e.getMessage());
  }

  @Test
  void theRefusalSaysWhereTheTensorIs() {
    UnsafeModelException e =
        assertThrows(
            UnsafeModelException.class,
            () ->
                OnnxModelReader.check(
                    HostileModels.externalData(Hideout.SUBGRAPH, "../director.key", 8)));
    assertTrue(
        e.getMessage()
            .startsWith(
                "graph > node 'If_stolen' > attribute"
                    + " 'then_branch' > graph 'branch' > initializer 'stolen_data'"),
        e.getMessage());
  }

  @Test
  void aDataLocationOfExternalAloneIsRefused() {
    TensorProto t =
        TensorProto.newBuilder()
            .setName("w")
            .addDims(1)
            .setDataType(TensorProto.DataType.FLOAT.getNumber())
            .addFloatData(1f)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .build();
    assertEquals("model-external-data", refusal(model(GraphProto.newBuilder().addInitializer(t))));
  }

  @Test
  void anEpContextNodeNamingAFileIsRefused() {
    assertEquals("model-external-data", refusal(HostileModels.epContextFile("/etc/shadow")));
  }

  @Test
  void aTensorHoldingLessThanItDeclaresIsRefused() {
    assertEquals("model-tensor-size-mismatch", refusal(HostileModels.sizeMismatch(1_000_000, 4)));
    assertEquals("model-tensor-size-mismatch", refusal(HostileModels.sizeMismatch(4, 5)));
  }

  @Test
  void typedDataIsCountedPackedOrNot() throws Exception {
    TensorProto.Builder floats =
        TensorProto.newBuilder()
            .setName("f")
            .addDims(2)
            .addDims(3)
            .setDataType(TensorProto.DataType.FLOAT.getNumber());
    for (int i = 0; i < 6; i++) {
      floats.addFloatData(i);
    }
    OnnxModelReader.check(model(GraphProto.newBuilder().addInitializer(floats)));
    assertEquals(
        "model-tensor-size-mismatch",
        refusal(model(GraphProto.newBuilder().addInitializer(floats.addFloatData(7f)))));

    TensorProto int64s =
        TensorProto.newBuilder()
            .setName("i")
            .addDims(3)
            .setDataType(TensorProto.DataType.INT64.getNumber())
            .addInt64Data(1)
            .addInt64Data(-1)
            .addInt64Data(Long.MAX_VALUE)
            .build();
    OnnxModelReader.check(model(GraphProto.newBuilder().addInitializer(int64s)));
    // unpacked: the same field written once per value, as some exporters do
    byte[] unpacked =
        concat(
            new byte[] {0x08, 0x03, 0x10, 0x07}, // dims 3, data_type INT64
            new byte[] {0x38, 0x01, 0x38, 0x02, 0x38, 0x03}); // int64_data 1, 2, 3 (wire type 0)
    OnnxModelReader.check(
        concat(
            new byte[] {0x08, 0x08},
            ld(7, ld(5, unpacked)))); // ir_version 8, graph { initializer }

    TensorProto strings =
        TensorProto.newBuilder()
            .setName("s")
            .addDims(2)
            .setDataType(TensorProto.DataType.STRING.getNumber())
            .addStringData(ByteString.copyFromUtf8("a"))
            .build();
    assertEquals(
        "model-tensor-size-mismatch",
        refusal(model(GraphProto.newBuilder().addInitializer(strings))));

    TensorProto int4 =
        TensorProto.newBuilder()
            .setName("q")
            .addDims(3)
            .setDataType(22)
            .setRawData(ByteString.copyFrom(new byte[2]))
            .build();
    OnnxModelReader.check(model(GraphProto.newBuilder().addInitializer(int4)));
  }

  @Test
  void aSparseIndexOutsideItsShapeIsRefused() {
    assertEquals("model-tensor-size-mismatch", refusal(HostileModels.sparseIndexOutOfBounds()));
  }

  @Test
  void nestingIsBoundedWithoutOverflowingTheStack() throws Exception {
    OnnxModelReader.check(HostileModels.nestedSubgraphs(10));
    assertEquals("model-limit-exceeded", refusal(HostileModels.nestedSubgraphs(30)));
    byte[] crash = HostileModels.selfNestedAttribute(2_500);
    assertTrue(crash.length < 32 * 1024, "about 20 KB: " + crash.length);
    assertEquals("model-limit-exceeded", refusal(crash));
  }

  @Test
  void partsAndNamesAreBounded() throws Exception {
    OnnxLimits few = new OnnxLimits(Integer.MAX_VALUE, 64, 3, 3, 8, 64);
    byte[] fourNodes =
        model(
            GraphProto.newBuilder()
                .addAllNode(List.of(node("a"), node("b"), node("c"), node("d"))));
    assertEquals(
        "model-limit-exceeded",
        assertThrows(UnsafeModelException.class, () -> OnnxModelReader.read(fourNodes, few, false))
            .code());
    byte[] longName = model(GraphProto.newBuilder().addNode(node("a-name-of-many-bytes")));
    assertEquals(
        "model-limit-exceeded",
        assertThrows(UnsafeModelException.class, () -> OnnxModelReader.read(longName, few, false))
            .code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not a model", "\u0008\u0008\u003a\u00ff\u00ff\u00ff\u00ff\u000f"})
  void whatIsNotAModelIsRefusedAsMalformed(String bytes) {
    assertEquals(
        "model-malformed", refusal(bytes.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
  }

  @Test
  void aTruncatedModelIsRefusedAsMalformed() {
    byte[] whole = HostileModels.sizeMismatch(4, 4);
    assertEquals("model-malformed", refusal(Arrays.copyOf(whole, whole.length - 3)));
  }

  @Test
  void groupsAreRefusedRatherThanSkipped() {
    // field 7 (graph) as a start-group: a generic skipper would follow it, recursively
    assertEquals("model-malformed", refusal(new byte[] {0x08, 0x08, 0x3b, 0x3c}));
  }

  @ParameterizedTest
  @ValueSource(strings = {"silero_vad_v5.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"})
  void realModelsPassAndTheirGraphIsRead(String name) throws Exception {
    Path file = SHARED_MODELS.resolve(name);
    assumeTrue(Files.isRegularFile(file), "shared model " + file + " absent");
    OnnxGraph graph = OnnxModelReader.read(file).graph();
    assertTrue(nodes(graph) > 20, "nodes: " + nodes(graph));
    assertTrue(storedElements(graph) > 10_000, "weights: " + storedElements(graph));
    assertEquals(nodes(graph), nodes(OnnxModelReader.read(Files.readAllBytes(file)).graph()));
  }

  @Test
  void theGraphSummaryHoldsNodesConstantsShapesAndSubgraphs() throws Exception {
    OnnxGraph graph = OnnxModelReader.read(HostileModels.nestedSubgraphs(2)).graph();
    assertEquals(1, graph.nodes().size());
    OnnxGraph.Node ifNode = graph.nodes().get(0);
    assertEquals("If", ifNode.opType());
    assertEquals(2, ifNode.subgraphs().size());
    assertEquals("If", ifNode.subgraphs().get(0).nodes().get(0).opType());
    assertEquals(List.of(1L), graph.shapes().get("level1_out"));
    OnnxGraph honest = OnnxModelReader.read(HostileModels.sizeMismatch(6, 6)).graph();
    assertEquals(6L, honest.constantSizes().get("lying"));
  }

  static long nodes(OnnxGraph graph) {
    return graph.nodes().size()
        + graph.nodes().stream()
            .flatMap(n -> n.subgraphs().stream())
            .mapToLong(OnnxModelReaderTest::nodes)
            .sum();
  }

  static long storedElements(OnnxGraph graph) {
    long sum = graph.constantSizes().values().stream().mapToLong(Long::longValue).sum();
    for (OnnxGraph.Node n : graph.nodes()) {
      sum += n.tensorAttributes().values().stream().mapToLong(Long::longValue).sum();
      sum += n.subgraphs().stream().mapToLong(OnnxModelReaderTest::storedElements).sum();
    }
    return sum;
  }

  private static NodeProto node(String name) {
    return NodeProto.newBuilder().setOpType("Relu").setName(name).build();
  }

  private static byte[] model(GraphProto.Builder graph) {
    return ModelProto.newBuilder().setIrVersion(8).setGraph(graph).build().toByteArray();
  }

  private static byte[] ld(int field, byte[] body) {
    byte[] head = {(byte) ((field << 3) | 2), (byte) body.length};
    return concat(head, body);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
