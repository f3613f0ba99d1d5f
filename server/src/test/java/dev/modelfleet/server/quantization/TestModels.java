package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import dev.modelfleet.server.quantization.graph.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Models of known structure built in the test itself, no download: a small CNN (weights as
 * initializers or as Constant nodes, optionally inside an If branch like silero VAD), a model with
 * no quantizable operator, and hostile ones.
 */
final class TestModels {

  static final String INPUT = "image";
  static final String OUTPUT = "scores";

  private TestModels() {}

  /**
   * image [N,3,16,16] → Conv 3→32 (3x3) → Relu → depthwise Conv 32 (3x3) → Relu → Conv 32→128 (1x1)
   * → Relu → Conv 128→128 (1x1) → Relu → GlobalAveragePool → Flatten → Gemm 128→10 → scores [N,10];
   * seeded weights, about 100 KB of them, five quantizable operators.
   */
  static ModelProto cnn(long seed, boolean constantNodes, boolean insideIf) {
    Random r = new Random(seed);
    List<TensorProto> weights =
        List.of(
            Tensors.floatTensor("w1", new long[] {32, 3, 3, 3}, random(r, 32 * 27, 0.3f)),
            Tensors.floatTensor("b1", new long[] {32}, random(r, 32, 0.1f)),
            Tensors.floatTensor("w2", new long[] {32, 1, 3, 3}, random(r, 32 * 9, 0.3f)),
            Tensors.floatTensor("b2", new long[] {32}, random(r, 32, 0.1f)),
            Tensors.floatTensor("w3", new long[] {128, 32, 1, 1}, random(r, 128 * 32, 0.2f)),
            Tensors.floatTensor("w4", new long[] {256, 128, 1, 1}, random(r, 256 * 128, 0.1f)),
            Tensors.floatTensor("w5", new long[] {10, 256}, random(r, 2560, 0.2f)),
            Tensors.floatTensor("b5", new long[] {10}, random(r, 10, 0.1f)));
    List<NodeProto> body =
        List.of(
            OnnxGraphs.node(
                "Conv",
                "conv1",
                List.of(INPUT, "w1", "b1"),
                List.of("c1"),
                ints("pads", 1, 1, 1, 1)),
            OnnxGraphs.node("Relu", "relu1", List.of("c1"), List.of("r1")),
            OnnxGraphs.node(
                "Conv",
                "conv2",
                List.of("r1", "w2", "b2"),
                List.of("c2"),
                ints("pads", 1, 1, 1, 1),
                OnnxGraphs.intAttr("group", 32)),
            OnnxGraphs.node("Relu", "relu2", List.of("c2"), List.of("r2")),
            OnnxGraphs.node("Conv", "conv3", List.of("r2", "w3"), List.of("c3")),
            OnnxGraphs.node("Relu", "relu3", List.of("c3"), List.of("r3")),
            OnnxGraphs.node("Conv", "conv4", List.of("r3", "w4"), List.of("c4")),
            OnnxGraphs.node("Relu", "relu4", List.of("c4"), List.of("r4")),
            OnnxGraphs.node("GlobalAveragePool", "pool", List.of("r4"), List.of("p")),
            OnnxGraphs.node("Flatten", "flatten", List.of("p"), List.of("f")),
            OnnxGraphs.node(
                "Gemm",
                "fc",
                List.of("f", "w5", "b5"),
                List.of(OUTPUT),
                OnnxGraphs.intAttr("transB", 1)));
    GraphProto.Builder g =
        GraphProto.newBuilder()
            .setName("cnn")
            .addInput(valueInfo(INPUT, 1, -1, 3, 16, 16))
            .addOutput(valueInfo(OUTPUT, 1, -1, 10));
    if (insideIf) {
      // then and else branch both compute the network; the condition is a constant true
      GraphProto.Builder branch =
          GraphProto.newBuilder()
              .setName("branch")
              .addAllNode(body)
              .addOutput(
                  ValueInfoProto.newBuilder()
                      .setName(OUTPUT)
                      .setType(
                          TypeProto.newBuilder()
                              .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))));
      weights.forEach(w -> branch.addNode(0, OnnxGraphs.constant(w.getName(), w)));
      String out = OUTPUT;
      GraphProto then = branch.build();
      GraphProto otherwise = rename(then, out, out);
      g.addNode(
          OnnxGraphs.constant(
              "cond",
              TensorProto.newBuilder()
                  .setDataType(9)
                  .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[] {1}))
                  .build()));
      g.addNode(
          NodeProto.newBuilder()
              .setOpType("If")
              .setName("branch_if")
              .addInput("cond")
              .addOutput(out)
              .addAttribute(
                  AttributeProto.newBuilder()
                      .setName("then_branch")
                      .setType(AttributeProto.AttributeType.GRAPH)
                      .setG(then))
              .addAttribute(
                  AttributeProto.newBuilder()
                      .setName("else_branch")
                      .setType(AttributeProto.AttributeType.GRAPH)
                      .setG(otherwise)));
    } else {
      if (constantNodes) {
        weights.forEach(w -> g.addNode(OnnxGraphs.constant(w.getName(), w)));
      } else {
        g.addAllInitializer(weights);
      }
      g.addAllNode(body);
    }
    return model(g.build(), 17);
  }

  /** x [N,16] → MatMul [16,1] → y [N,1]: one regression output, no classes. */
  static ModelProto regressor(long seed) {
    Random r = new Random(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("regressor")
            .addInput(valueInfo("x", 1, -1, 16))
            .addOutput(valueInfo("y", 1, -1, 1))
            .addInitializer(Tensors.floatTensor("w", new long[] {16, 1}, random(r, 16, 1f)))
            .addNode(OnnxGraphs.node("MatMul", "matmul", List.of("x", "w"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** Opset 9: x [1,16] → MatMul [16,4] → TopK (k as attribute, an input since opset 10). */
  static ModelProto opset9TopK() {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("topk")
            .addInput(valueInfo("x", 1, 1, 16))
            .addOutput(valueInfo("top", 1, 1, 2))
            .addInitializer(
                Tensors.floatTensor("w", new long[] {16, 4}, random(new Random(1), 64, 1f)))
            .addNode(OnnxGraphs.node("MatMul", "matmul", List.of("x", "w"), List.of("m")))
            .addNode(
                OnnxGraphs.node(
                    "TopK",
                    "topk",
                    List.of("m"),
                    List.of("top", "top_indices"),
                    OnnxGraphs.intAttr("k", 2)))
            .build();
    return model(g, 9);
  }

  /** A valid model whose input declares [2^31, 2^31] floats (16 EiB if anyone allocated it). */
  static ModelProto hugeInput() {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("huge")
            .addInput(valueInfo("x", 1, 1L << 31, 1L << 31))
            .addOutput(valueInfo("y", 1, 1L << 31, 1L << 31))
            .addInitializer(Tensors.floatTensor("half", new long[] {1}, new float[] {0.5f}))
            .addNode(OnnxGraphs.node("Mul", "mul", List.of("x", "half"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** A Constant whose tensor declares [2^31, 2^31] elements but holds one float. */
  static ModelProto hugeConstant() {
    TensorProto lie =
        Tensors.floatTensor("c", new long[] {1}, new float[] {1f}).toBuilder()
            .clearDims()
            .addDims(1L << 31)
            .addDims(1L << 31)
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("liar")
            .addInput(valueInfo("x", 1, 1, 1))
            .addOutput(valueInfo("y", 1, 1, 1))
            .addNode(OnnxGraphs.constant("c", lie))
            .addNode(OnnxGraphs.node("Add", "add", List.of("x", "c"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** An initializer declaring [2^31, 2^31] elements but holding one float. */
  static ModelProto hugeInitializer() {
    TensorProto lie =
        Tensors.floatTensor("c", new long[] {1}, new float[] {1f}).toBuilder()
            .clearDims()
            .addDims(1L << 31)
            .addDims(1L << 31)
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("liar")
            .addInput(valueInfo("x", 1, 1, 1))
            .addOutput(valueInfo("y", 1, 1, 1))
            .addInitializer(lie)
            .addNode(OnnxGraphs.node("Add", "add", List.of("x", "c"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** Add and Relu only: nothing int8 dynamic can convert. */
  static ModelProto noWeights() {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("plain")
            .addInput(valueInfo("x", 1, 1, 8))
            .addOutput(valueInfo("y", 1, 1, 8))
            .addNode(OnnxGraphs.node("Add", "add", List.of("x", "x"), List.of("s")))
            .addNode(OnnxGraphs.node("Relu", "relu", List.of("s"), List.of("y")))
            .build();
    return model(g, 17);
  }

  static ModelProto model(GraphProto graph, long opset) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("modelfleet-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph)
        .build();
  }

  static ModelProto withOpset(ModelProto m, long opset) {
    return m.toBuilder()
        .clearOpsetImport()
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .build();
  }

  static ValueInfoProto valueInfo(String name, int elemType, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(
          d < 0
              ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
              : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
        .build();
  }

  private static GraphProto rename(GraphProto g, String from, String to) {
    return g.toBuilder().setName(g.getName() + "_else").build();
  }

  private static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  private static float[] random(Random r, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian() * scale;
    }
    return v;
  }

  /**
   * A file in ../shared/models, if the folder is present (tests run from the module or the root).
   */
  static Optional<Path> shared(String file) {
    return Stream.of("../shared/models", "../../shared/models")
        .map(d -> Path.of(d, file))
        .filter(Files::isRegularFile)
        .findFirst();
  }
}
