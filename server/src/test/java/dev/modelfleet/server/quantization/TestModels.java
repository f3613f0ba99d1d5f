package dev.modelfleet.server.quantization;

import static dev.modelfleet.onnx.samples.GraphParts.BOOL;
import static dev.modelfleet.onnx.samples.GraphParts.FLOAT;
import static dev.modelfleet.onnx.samples.GraphParts.anyShapeValue;
import static dev.modelfleet.onnx.samples.GraphParts.constant;
import static dev.modelfleet.onnx.samples.GraphParts.dim;
import static dev.modelfleet.onnx.samples.GraphParts.floatTensor;
import static dev.modelfleet.onnx.samples.GraphParts.graphAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.intAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.intsAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.node;
import static dev.modelfleet.onnx.samples.GraphParts.tensor;
import static dev.modelfleet.onnx.samples.GraphParts.tensorValue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelfleet.onnx.samples.GraphParts;
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
            floatTensor("w1", new long[] {32, 3, 3, 3}, random(r, 32 * 27, 0.3f)),
            floatTensor("b1", new long[] {32}, random(r, 32, 0.1f)),
            floatTensor("w2", new long[] {32, 1, 3, 3}, random(r, 32 * 9, 0.3f)),
            floatTensor("b2", new long[] {32}, random(r, 32, 0.1f)),
            floatTensor("w3", new long[] {128, 32, 1, 1}, random(r, 128 * 32, 0.2f)),
            floatTensor("w4", new long[] {256, 128, 1, 1}, random(r, 256 * 128, 0.1f)),
            floatTensor("w5", new long[] {10, 256}, random(r, 2560, 0.2f)),
            floatTensor("b5", new long[] {10}, random(r, 10, 0.1f)));
    List<NodeProto> body =
        List.of(
            node(
                "Conv",
                "conv1",
                List.of(INPUT, "w1", "b1"),
                List.of("c1"),
                intsAttribute("pads", 1, 1, 1, 1)),
            node("Relu", "relu1", List.of("c1"), List.of("r1")),
            node(
                "Conv",
                "conv2",
                List.of("r1", "w2", "b2"),
                List.of("c2"),
                intsAttribute("pads", 1, 1, 1, 1),
                intAttribute("group", 32)),
            node("Relu", "relu2", List.of("c2"), List.of("r2")),
            node("Conv", "conv3", List.of("r2", "w3"), List.of("c3")),
            node("Relu", "relu3", List.of("c3"), List.of("r3")),
            node("Conv", "conv4", List.of("r3", "w4"), List.of("c4")),
            node("Relu", "relu4", List.of("c4"), List.of("r4")),
            node("GlobalAveragePool", "pool", List.of("r4"), List.of("p")),
            node("Flatten", "flatten", List.of("p"), List.of("f")),
            node(
                "Gemm",
                "fc",
                List.of("f", "w5", "b5"),
                List.of(OUTPUT),
                intAttribute("transB", 1)));
    GraphProto.Builder g =
        GraphProto.newBuilder()
            .setName("cnn")
            .addInput(floatValue(INPUT, -1, 3, 16, 16))
            .addOutput(floatValue(OUTPUT, -1, 10));
    if (insideIf) {
      // then and else branch both compute the network; the condition is a constant true
      GraphProto.Builder branch =
          GraphProto.newBuilder()
              .setName("branch")
              .addAllNode(body)
              .addOutput(anyShapeValue(OUTPUT, FLOAT));
      weights.forEach(w -> branch.addNode(0, constant(w.getName(), w)));
      String out = OUTPUT;
      GraphProto then = branch.build();
      GraphProto otherwise = rename(then, out, out);
      g.addNode(constant("cond", tensor("cond", BOOL, new long[0], new byte[] {1})));
      g.addNode(
          node(
              "If",
              "branch_if",
              List.of("cond"),
              List.of(out),
              graphAttribute("then_branch", then),
              graphAttribute("else_branch", otherwise)));
    } else {
      if (constantNodes) {
        weights.forEach(w -> g.addNode(constant(w.getName(), w)));
      } else {
        g.addAllInitializer(weights);
      }
      g.addAllNode(body);
    }
    return model(g.build(), 17);
  }

  /**
   * image [1,3,16,16] → Conv 3→8 (3x3, weights of std 600) → BatchNormalization whose running
   * variances are {@code variance} (times 1..5) → Relu → y: a trained network's layer whose
   * activations are in the thousands, so its variances are far beyond float16's ±65504.
   */
  static ModelProto convBatchNorm(long seed, float variance) {
    Random r = new Random(seed);
    int c = 8;
    GraphProto g =
        GraphProto.newBuilder()
            .setName("conv_bn")
            .addInput(floatValue(INPUT, 1, 3, 16, 16))
            .addOutput(floatValue("y", 1, c, 16, 16))
            .addInitializer(floatTensor("w", new long[] {c, 3, 3, 3}, random(r, c * 27, 600f)))
            .addInitializer(floatTensor("b", new long[] {c}, random(r, c, 100f)))
            .addAllInitializer(batchNormParams(r, c, variance))
            .addNode(
                node(
                    "Conv",
                    "conv",
                    List.of(INPUT, "w", "b"),
                    List.of("c"),
                    intsAttribute("pads", 1, 1, 1, 1)))
            .addNode(
                node(
                    "BatchNormalization",
                    "bn",
                    List.of("c", "gamma", "beta", "mean", "var"),
                    List.of("n")))
            .addNode(node("Relu", "relu", List.of("n"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /**
   * x [1,8,4,4] → BatchNormalization (variances {@code variance} times 1..5, no Conv before it to
   * fold into) → y.
   */
  static ModelProto batchNormAlone(long seed, float variance) {
    Random r = new Random(seed);
    int c = 8;
    GraphProto g =
        GraphProto.newBuilder()
            .setName("bn_alone")
            .addInput(floatValue("x", 1, c, 4, 4))
            .addOutput(floatValue("y", 1, c, 4, 4))
            .addAllInitializer(batchNormParams(r, c, variance))
            .addNode(
                node(
                    "BatchNormalization",
                    "bn",
                    List.of("x", "gamma", "beta", "mean", "var"),
                    List.of("y")))
            .build();
    return model(g, 17);
  }

  private static List<TensorProto> batchNormParams(Random r, int c, float variance) {
    float[] var = new float[c];
    float[] mean = new float[c];
    float[] gamma = new float[c];
    float[] beta = new float[c];
    for (int i = 0; i < c; i++) {
      var[i] = variance * (1 + r.nextInt(5));
      mean[i] = (float) r.nextGaussian() * 100f;
      gamma[i] = 0.5f + r.nextFloat();
      beta[i] = (float) r.nextGaussian() * 0.1f;
    }
    long[] dims = {c};
    return List.of(
        floatTensor("gamma", dims, gamma),
        floatTensor("beta", dims, beta),
        floatTensor("mean", dims, mean),
        floatTensor("var", dims, var));
  }

  /**
   * x [1,4,16] → layer normalisation written out (ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt,
   * Div, Mul γ, Add β) → y, opset 17: the pattern ONNX Runtime fuses into LayerNormalization, as an
   * exported audio model has it.
   */
  static ModelProto layerNorm(long seed) {
    Random r = new Random(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("layer_norm")
            .addInput(floatValue("x", 1, 4, 16))
            .addOutput(floatValue("y", 1, 4, 16))
            .addInitializer(floatTensor("two", new long[] {}, new float[] {2f}))
            .addInitializer(floatTensor("eps", new long[] {}, new float[] {1e-5f}))
            .addInitializer(floatTensor("gamma", new long[] {16}, random(r, 16, 1f)))
            .addInitializer(floatTensor("beta", new long[] {16}, random(r, 16, 0.1f)))
            .addNode(
                node("ReduceMean", "mean", List.of("x"), List.of("mu"), intsAttribute("axes", -1)))
            .addNode(node("Sub", "centre", List.of("x", "mu"), List.of("d")))
            .addNode(node("Pow", "square", List.of("d", "two"), List.of("d2")))
            .addNode(
                node(
                    "ReduceMean",
                    "variance",
                    List.of("d2"),
                    List.of("v"),
                    intsAttribute("axes", -1)))
            .addNode(node("Add", "add_eps", List.of("v", "eps"), List.of("ve")))
            .addNode(node("Sqrt", "std", List.of("ve"), List.of("sd")))
            .addNode(node("Div", "normalise", List.of("d", "sd"), List.of("n")))
            .addNode(node("Mul", "scale", List.of("n", "gamma"), List.of("s")))
            .addNode(node("Add", "shift", List.of("s", "beta"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /**
   * x [1,16] → MatMul [16,4] → y, beside boxes [1,8,4], scores [1,1,8] → NonMaxSuppression →
   * selected (int64). ONNX types NonMaxSuppression's inputs float32 only, so an fp16 of this model
   * cannot be loaded at all, while its int8 variant can.
   */
  static ModelProto matMulBesideNms(long seed) {
    Random r = new Random(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("matmul_nms")
            .addInput(floatValue("x", 1, 16))
            .addInput(floatValue("boxes", 1, 8, 4))
            .addInput(floatValue("scores", 1, 1, 8))
            .addOutput(floatValue("y", 1, 4))
            .addOutput(
                tensorValue(
                    "selected",
                    GraphParts.INT64,
                    new TensorShapeProto.Dimension[] {dim("K"), dim(3)}))
            .addInitializer(floatTensor("w", new long[] {16, 4}, random(r, 64, 1f)))
            .addNode(node("MatMul", "matmul", List.of("x", "w"), List.of("y")))
            .addNode(
                node("NonMaxSuppression", "nms", List.of("boxes", "scores"), List.of("selected")))
            .build();
    return model(g, 17);
  }

  /**
   * image [1,3,16,16] → Conv 3→8 (3x3) → Relu → Conv 8→1 (1x1) → Sigmoid → maps [1,1,16,16]: a
   * detector's probability map, fixed shape, whose last axis (16) is a width, not classes.
   */
  static ModelProto probabilityMap(long seed) {
    Random r = new Random(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("map")
            .addInput(floatValue(INPUT, 1, 3, 16, 16))
            .addOutput(floatValue("maps", 1, 1, 16, 16))
            .addInitializer(floatTensor("w1", new long[] {8, 3, 3, 3}, random(r, 8 * 27, 0.5f)))
            .addInitializer(floatTensor("b1", new long[] {8}, random(r, 8, 0.1f)))
            .addInitializer(floatTensor("w2", new long[] {1, 8, 1, 1}, random(r, 8, 1f)))
            .addInitializer(floatTensor("b2", new long[] {1}, new float[] {-0.5f}))
            .addNode(
                node(
                    "Conv",
                    "conv1",
                    List.of(INPUT, "w1", "b1"),
                    List.of("c1"),
                    intsAttribute("pads", 1, 1, 1, 1)))
            .addNode(node("Relu", "relu1", List.of("c1"), List.of("r1")))
            .addNode(node("Conv", "conv2", List.of("r1", "w2", "b2"), List.of("logits")))
            .addNode(node("Sigmoid", "sigmoid", List.of("logits"), List.of("maps")))
            .build();
    return model(g, 17);
  }

  /** x [N,16] → MatMul [16,1] → y [N,1]: one regression output, no classes. */
  static ModelProto regressor(long seed) {
    Random r = new Random(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("regressor")
            .addInput(floatValue("x", -1, 16))
            .addOutput(floatValue("y", -1, 1))
            .addInitializer(floatTensor("w", new long[] {16, 1}, random(r, 16, 1f)))
            .addNode(node("MatMul", "matmul", List.of("x", "w"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** Opset 9: x [1,16] → MatMul [16,4] → TopK (k as attribute, an input since opset 10). */
  static ModelProto opset9TopK() {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("topk")
            .addInput(floatValue("x", 1, 16))
            .addOutput(floatValue("top", 1, 2))
            .addInitializer(floatTensor("w", new long[] {16, 4}, random(new Random(1), 64, 1f)))
            .addNode(node("MatMul", "matmul", List.of("x", "w"), List.of("m")))
            .addNode(
                node(
                    "TopK",
                    "topk",
                    List.of("m"),
                    List.of("top", "top_indices"),
                    intAttribute("k", 2)))
            .build();
    return model(g, 9);
  }

  /** A valid model whose input declares [2^31, 2^31] floats (16 EiB if anyone allocated it). */
  static ModelProto hugeInput() {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("huge")
            .addInput(floatValue("x", 1L << 31, 1L << 31))
            .addOutput(floatValue("y", 1L << 31, 1L << 31))
            .addInitializer(floatTensor("half", new long[] {1}, new float[] {0.5f}))
            .addNode(node("Mul", "mul", List.of("x", "half"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** A Constant whose tensor declares [2^31, 2^31] elements but holds one float. */
  static ModelProto hugeConstant() {
    TensorProto lie =
        floatTensor("c", new long[] {1}, new float[] {1f}).toBuilder()
            .clearDims()
            .addDims(1L << 31)
            .addDims(1L << 31)
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("liar")
            .addInput(floatValue("x", 1, 1))
            .addOutput(floatValue("y", 1, 1))
            .addNode(constant("c", lie))
            .addNode(node("Add", "add", List.of("x", "c"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** An initializer declaring [2^31, 2^31] elements but holding one float. */
  static ModelProto hugeInitializer() {
    TensorProto lie =
        floatTensor("c", new long[] {1}, new float[] {1f}).toBuilder()
            .clearDims()
            .addDims(1L << 31)
            .addDims(1L << 31)
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("liar")
            .addInput(floatValue("x", 1, 1))
            .addOutput(floatValue("y", 1, 1))
            .addInitializer(lie)
            .addNode(node("Add", "add", List.of("x", "c"), List.of("y")))
            .build();
    return model(g, 17);
  }

  /** Add and Relu only: nothing int8 dynamic can convert. */
  static ModelProto noWeights() {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("plain")
            .addInput(floatValue("x", 1, 8))
            .addOutput(floatValue("y", 1, 8))
            .addNode(node("Add", "add", List.of("x", "x"), List.of("s")))
            .addNode(node("Relu", "relu", List.of("s"), List.of("y")))
            .build();
    return model(g, 17);
  }

  static ModelProto model(GraphProto graph, long opset) {
    return GraphParts.model(graph, "modelfleet-test", opset).build();
  }

  static ModelProto withOpset(ModelProto m, long opset) {
    return m.toBuilder()
        .clearOpsetImport()
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .build();
  }

  /** A float value of this shape; a negative size is the symbolic batch size {@code N}. */
  private static ValueInfoProto floatValue(String name, long... dims) {
    TensorShapeProto.Dimension[] shape = new TensorShapeProto.Dimension[dims.length];
    for (int i = 0; i < dims.length; i++) {
      shape[i] = dims[i] < 0 ? dim("N") : dim(dims[i]);
    }
    return tensorValue(name, FLOAT, shape);
  }

  private static GraphProto rename(GraphProto g, String from, String to) {
    return g.toBuilder().setName(g.getName() + "_else").build();
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
