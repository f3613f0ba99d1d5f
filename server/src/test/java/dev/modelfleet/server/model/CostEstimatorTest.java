package dev.modelfleet.server.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.modelfleet.onnx.OnnxModelReader;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostEstimatorTest {

  @TempDir Path dir;
  final CostEstimator estimator = new CostEstimator();

  @Test
  void gemmWeightsCountOncePerInference() throws Exception {
    // 4 features x 16 hidden + 16 hidden x 3 classes
    assertEquals(new CostEstimator.Cost(4 * 16 + 16 * 3, 0), estimate(SampleModels.classifier(1)));
    assertEquals(
        new CostEstimator.Cost(256L * 512 + 512 * 3, 0),
        estimate(SampleModels.classifier(1, 256, 512, 3)));
  }

  @Test
  void convWeightsCountPerDeclaredOutputPositionAndQuantizedWeightsAreFollowed() throws Exception {
    GraphProto graph =
        GraphProto.newBuilder()
            .addInput(value("x", 1, 3, 32, 32))
            .addOutput(value("y", 1, 10))
            .addValueInfo(value("c", 1, 8, 30, 30))
            .addInitializer(tensor("w", 8, 3, 3, 3))
            .addInitializer(tensor("wq", 7200, 10))
            .addNode(node("Conv", "x", "w").addOutput("c"))
            .addNode(node("Reshape", "c", "shape").addOutput("flat"))
            .addNode(node("DequantizeLinear", "wq", "scale").addOutput("wdq"))
            // a Constant-node weight inside an If branch counts too
            .addNode(
                node("If", "cond")
                    .addOutput("y")
                    .addAttribute(
                        AttributeProto.newBuilder()
                            .setName("then_branch")
                            .setType(AttributeProto.AttributeType.GRAPH)
                            .setG(
                                GraphProto.newBuilder()
                                    .addNode(
                                        node("Constant")
                                            .addOutput("k")
                                            .addAttribute(
                                                AttributeProto.newBuilder()
                                                    .setName("value")
                                                    .setType(AttributeProto.AttributeType.TENSOR)
                                                    .setT(tensor("k", 10, 5))))
                                    .addNode(node("MatMul", "y0", "k").addOutput("y1")))))
            .addNode(node("MatMul", "flat", "wdq").addOutput("y0"))
            .build();
    byte[] model = ModelProto.newBuilder().setIrVersion(8).setGraph(graph).build().toByteArray();
    assertEquals(
        new CostEstimator.Cost(7200L * 10 + 10 * 5, 8L * 3 * 3 * 3 * 30 * 30), estimate(model));
  }

  @Test
  void aCountPastALongHasNoEstimate() throws Exception {
    GraphProto graph =
        GraphProto.newBuilder()
            .addValueInfo(value("c", 1, 8, 1L << 40, 1L << 40))
            .addInitializer(tensor("w", 8, 3, 3, 3))
            .addNode(node("Conv", "x", "w").addOutput("c"))
            .build();
    byte[] model = ModelProto.newBuilder().setIrVersion(8).setGraph(graph).build().toByteArray();
    assertEquals(CostEstimator.Cost.UNKNOWN, estimate(model));
  }

  /** As at upload: the graph summary comes from the one reader's safety check. */
  private CostEstimator.Cost estimate(byte[] bytes) throws Exception {
    Path file = Files.write(dir.resolve("m.onnx"), bytes);
    return estimator.estimate(OnnxModelReader.read(file).graph());
  }

  private static NodeProto.Builder node(String op, String... inputs) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op);
    for (String input : inputs) {
      node.addInput(input);
    }
    return node;
  }

  /** Float zeros of that shape. */
  private static TensorProto tensor(String name, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1);
    long elements = 1;
    for (long d : dims) {
      t.addDims(d);
      elements *= d;
    }
    return t.setRawData(ByteString.copyFrom(new byte[(int) elements * Float.BYTES])).build();
  }

  private static ValueInfoProto value(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape)))
        .build();
  }
}
