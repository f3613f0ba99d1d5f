package dev.modelfleet.agent.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Small ONNX models the project makes itself, so that demos and tests need no download.
 *
 * <p>The classifier is a two-layer perceptron: {@code input [batch, features]} → Gemm → Relu → Gemm
 * → Softmax → {@code probabilities [batch, classes]}. Weights come from a seeded random generator,
 * so the same seed always gives the same bytes and two seeds give two "versions" of one model with
 * the same signature but different outputs.
 */
public final class SampleModels {

  public static final String INPUT = "input";
  public static final String OUTPUT = "probabilities";
  private static final int OPSET = 17;
  private static final long IR_VERSION = 8;

  private SampleModels() {}

  /** A classifier with 4 features, 16 hidden units and 3 classes (a few hundred bytes). */
  public static byte[] classifier(long seed) {
    return classifier(seed, 4, 16, 3);
  }

  /**
   * A classifier of a chosen size; {@code features × hidden × 4} bytes dominate its size, which
   * makes it useful for download benchmarks too.
   */
  public static byte[] classifier(long seed, int features, int hidden, int classes) {
    Random random = new Random(seed);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("modelfleet-sample-classifier")
            .addInput(floatInput(INPUT, features))
            .addOutput(floatInput(OUTPUT, classes))
            .addInitializer(floatTensor("w1", random, features, hidden))
            .addInitializer(floatTensor("b1", random, hidden))
            .addInitializer(floatTensor("w2", random, hidden, classes))
            .addInitializer(floatTensor("b2", random, classes))
            .addNode(node("Gemm", "gemm1", new String[] {INPUT, "w1", "b1"}, "h1"))
            .addNode(node("Relu", "relu1", new String[] {"h1"}, "a1"))
            .addNode(node("Gemm", "gemm2", new String[] {"a1", "w2", "b2"}, "logits"))
            .addNode(
                node("Softmax", "softmax", new String[] {"logits"}, OUTPUT).toBuilder()
                    .addAttribute(
                        AttributeProto.newBuilder()
                            .setName("axis")
                            .setType(AttributeProto.AttributeType.INT)
                            .setI(-1))
                    .build())
            .build();
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("modelfleet")
        .setProducerVersion("1")
        .setDocString("ModelFleet sample classifier, seed " + seed)
        .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setVersion(OPSET))
        .setGraph(graph)
        .build()
        .toByteArray();
  }

  public static void writeClassifier(Path target, long seed) throws IOException {
    Files.write(target, classifier(seed));
  }

  private static ValueInfoProto floatInput(String name, int width) {
    TensorShapeProto shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))
            .build();
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT.getNumber())
                        .setShape(shape)))
        .build();
  }

  private static TensorProto floatTensor(String name, Random random, int... dims) {
    int count = 1;
    for (int dim : dims) {
      count *= dim;
    }
    ByteBuffer data = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      data.putFloat((float) (random.nextGaussian() * 0.5));
    }
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT.getNumber())
            .setRawData(ByteString.copyFrom(data.array()));
    for (int dim : dims) {
      tensor.addDims(dim);
    }
    return tensor.build();
  }

  private static NodeProto node(String op, String name, String[] inputs, String output) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String input : inputs) {
      node.addInput(input);
    }
    return node.build();
  }
}
