package dev.modelfleet.server.quantization;

import static dev.modelfleet.onnx.samples.GraphParts.FLOAT;
import static dev.modelfleet.onnx.samples.GraphParts.dim;
import static dev.modelfleet.onnx.samples.GraphParts.floatTensor;
import static dev.modelfleet.onnx.samples.GraphParts.intAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.intsAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.node;
import static dev.modelfleet.onnx.samples.GraphParts.tensorValue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generated models for int8-qdq: a conv-heavy network with the operators ONNX Runtime fuses in QDQ
 * form (Conv + BatchNormalization + Relu, residual Add, MaxPool, depthwise Conv + Clip, Concat,
 * GlobalAveragePool, Gemm), a MatMul network, and one with a deliberately sensitive operator.
 */
final class QdqTestModels {

  static final String INPUT = "image";
  static final String OUTPUT = "scores";

  private QdqTestModels() {}

  /**
   * image [1,3,size,size] → Conv 3→w (3x3, stride 2) + BN + Relu → Conv w→w + Relu → Add (residual)
   * → MaxPool 2x2 → depthwise Conv + Clip(0, 6) → Conv w→2w (1x1) + Relu → Conv 2w→2w (3x3) + Relu
   * → Concat → Conv 4w→2w (1x1) + Relu → GlobalAveragePool → Flatten → Gemm → scores [1,10].
   */
  static ModelProto convNet(long seed, int size, int width) {
    Random r = new Random(seed);
    List<TensorProto> init = new ArrayList<>();
    List<NodeProto> nodes = new ArrayList<>();
    int w = width;
    conv(init, nodes, r, "c1", INPUT, "c1", 3, w, 3, 2, 1);
    init.add(floatTensor("bn_g", new long[] {w}, positive(r, w)));
    init.add(floatTensor("bn_b", new long[] {w}, gaussian(r, w, 0.1f)));
    init.add(floatTensor("bn_m", new long[] {w}, gaussian(r, w, 0.1f)));
    init.add(floatTensor("bn_v", new long[] {w}, positive(r, w)));
    nodes.add(
        node(
            "BatchNormalization",
            "bn1",
            List.of("c1", "bn_g", "bn_b", "bn_m", "bn_v"),
            List.of("bn1")));
    nodes.add(node("Relu", "relu1", List.of("bn1"), List.of("a")));
    conv(init, nodes, r, "c2", "a", "c2", w, w, 3, 1, 1);
    nodes.add(node("Relu", "relu2", List.of("c2"), List.of("b")));
    nodes.add(node("Add", "residual", List.of("a", "b"), List.of("sum")));
    nodes.add(
        node(
            "MaxPool",
            "pool",
            List.of("sum"),
            List.of("m"),
            intsAttribute("kernel_shape", 2, 2),
            intsAttribute("strides", 2, 2)));
    init.add(floatTensor("dw_w", new long[] {w, 1, 3, 3}, gaussian(r, w * 9, 0.3f)));
    init.add(floatTensor("dw_b", new long[] {w}, gaussian(r, w, 0.05f)));
    nodes.add(
        node(
            "Conv",
            "dw",
            List.of("m", "dw_w", "dw_b"),
            List.of("dwo"),
            intsAttribute("pads", 1, 1, 1, 1),
            intAttribute("group", w)));
    init.add(floatTensor("zero", new long[0], new float[] {0f}));
    init.add(floatTensor("six", new long[0], new float[] {6f}));
    nodes.add(node("Clip", "relu6", List.of("dwo", "zero", "six"), List.of("d")));
    conv(init, nodes, r, "pw", "d", "pwo", w, 2 * w, 1, 1, 0);
    nodes.add(node("Relu", "relu3", List.of("pwo"), List.of("e")));
    conv(init, nodes, r, "c3", "e", "c3", 2 * w, 2 * w, 3, 1, 1);
    nodes.add(node("Relu", "relu4", List.of("c3"), List.of("f")));
    nodes.add(node("Concat", "concat", List.of("e", "f"), List.of("g"), intAttribute("axis", 1)));
    conv(init, nodes, r, "c4", "g", "c4", 4 * w, 2 * w, 1, 1, 0);
    nodes.add(node("Relu", "relu5", List.of("c4"), List.of("h")));
    nodes.add(node("GlobalAveragePool", "gap", List.of("h"), List.of("p")));
    nodes.add(node("Flatten", "flatten", List.of("p"), List.of("flat")));
    init.add(floatTensor("fc_w", new long[] {10, 2 * w}, gaussian(r, 20 * w, 0.3f)));
    init.add(floatTensor("fc_b", new long[] {10}, gaussian(r, 10, 0.1f)));
    nodes.add(
        node(
            "Gemm",
            "fc",
            List.of("flat", "fc_w", "fc_b"),
            List.of(OUTPUT),
            intAttribute("transB", 1)));
    GraphProto g =
        GraphProto.newBuilder()
            .setName("convnet")
            .addInput(tensorValue(INPUT, FLOAT, dim(1), dim(3), dim(size), dim(size)))
            .addOutput(tensorValue(OUTPUT, FLOAT, dim(1), dim(10)))
            .addAllInitializer(init)
            .addAllNode(nodes)
            .build();
    return TestModels.model(g, 17);
  }

  /**
   * tokens [1,seq,d] → (MatMul d→4d + Add + Relu → MatMul 4d→d + Add residual) x layers → MatMul
   * d→10 → scores [1,seq,10]: a transformer's feed-forward blocks.
   */
  static ModelProto matMulNet(long seed, int seq, int d, int layers) {
    Random r = new Random(seed);
    List<TensorProto> init = new ArrayList<>();
    List<NodeProto> nodes = new ArrayList<>();
    String x = INPUT;
    float s1 = (float) (1 / Math.sqrt(d));
    float s2 = (float) (1 / Math.sqrt(4 * d));
    for (int l = 0; l < layers; l++) {
      String p = "l" + l + "_";
      init.add(floatTensor(p + "w1", new long[] {d, 4 * d}, gaussian(r, d * 4 * d, s1)));
      init.add(floatTensor(p + "b1", new long[] {4 * d}, gaussian(r, 4 * d, 0.05f)));
      init.add(floatTensor(p + "w2", new long[] {4 * d, d}, gaussian(r, 4 * d * d, s2)));
      init.add(floatTensor(p + "b2", new long[] {d}, gaussian(r, d, 0.05f)));
      nodes.add(node("MatMul", p + "mm1", List.of(x, p + "w1"), List.of(p + "h")));
      nodes.add(node("Add", p + "add1", List.of(p + "h", p + "b1"), List.of(p + "hb")));
      nodes.add(node("Relu", p + "relu", List.of(p + "hb"), List.of(p + "hr")));
      nodes.add(node("MatMul", p + "mm2", List.of(p + "hr", p + "w2"), List.of(p + "o")));
      nodes.add(node("Add", p + "add2", List.of(p + "o", p + "b2"), List.of(p + "ob")));
      nodes.add(node("Add", p + "res", List.of(x, p + "ob"), List.of(p + "y")));
      x = p + "y";
    }
    init.add(floatTensor("head", new long[] {d, 10}, gaussian(r, d * 10, s1)));
    nodes.add(node("MatMul", "head", List.of(x, "head"), List.of(OUTPUT)));
    GraphProto g =
        GraphProto.newBuilder()
            .setName("mlp")
            .addInput(tensorValue(INPUT, FLOAT, dim(1), dim(seq), dim(d)))
            .addOutput(tensorValue(OUTPUT, FLOAT, dim(1), dim(seq), dim(10)))
            .addAllInitializer(init)
            .addAllNode(nodes)
            .build();
    return TestModels.model(g, 17);
  }

  /**
   * image [1,8,8,8] → Conv "a" 8→8 (3x3) + Relu → Conv "sensitive" 8→8 (1x1) → Relu → Conv "c" 8→4
   * (1x1) → GlobalAveragePool → scores [1,4,1,1] (compared by cosine). Conv "a"'s output channel 7
   * is a thousand times larger than the others, so one uint8 scale for the sensitive Conv's input
   * rounds channels 0-6, the only ones its first outputs read, to almost nothing: that Conv must
   * stay float (and with it no QuantizeLinear on its input), the other two need not.
   */
  static ModelProto sensitive(long seed) {
    return sensitive(seed, false);
  }

  /**
   * {@link #sensitive(long)}, with {@code behindAdd} an Add "shift" of the first Conv's Relu output
   * to itself between it and the sensitive Conv: the large channel then reaches the sensitive Conv
   * through an elementwise operator, which reads it quantized even when the Conv is kept float. (Of
   * itself, not of a constant: a constant Add before an unpadded Conv is folded into it.)
   */
  static ModelProto sensitive(long seed, boolean behindAdd) {
    Random r = new Random(seed);
    List<TensorProto> init = new ArrayList<>();
    List<NodeProto> nodes = new ArrayList<>();
    conv(init, nodes, r, "a", INPUT, "ao", 8, 8, 3, 1, 1);
    TensorProto aw = init.get(0);
    float[] boosted = new float[8 * 8 * 9];
    aw.getRawData()
        .asReadOnlyByteBuffer()
        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .get(boosted);
    for (int i = 7 * 72; i < 8 * 72; i++) {
      boosted[i] = Math.abs(boosted[i]) * 1000; // channel 7: large and positive
    }
    init.set(0, floatTensor("a_w", new long[] {8, 8, 3, 3}, boosted));
    nodes.add(node("Relu", "relu_a", List.of("ao"), List.of("ar")));
    float[] w = gaussian(r, 64, 0.5f);
    for (int o = 0; o < 8; o++) {
      w[o * 8 + 7] = o == 7 ? 0.001f : 0f; // outputs 0-6 ignore the large channel
      if (o == 7) {
        for (int i = 0; i < 7; i++) {
          w[o * 8 + i] = 0f;
        }
      }
    }
    init.add(floatTensor("sensitive_w", new long[] {8, 8, 1, 1}, w));
    String sensitiveIn = "ar";
    if (behindAdd) {
      nodes.add(node("Add", "shift", List.of("ar", "ar"), List.of("as")));
      sensitiveIn = "as";
    }
    nodes.add(node("Conv", "sensitive", List.of(sensitiveIn, "sensitive_w"), List.of("so")));
    nodes.add(node("Relu", "relu_s", List.of("so"), List.of("sr")));
    conv(init, nodes, r, "c", "sr", "co", 8, 4, 1, 1, 0);
    nodes.add(node("GlobalAveragePool", "gap", List.of("co"), List.of(OUTPUT)));
    GraphProto g =
        GraphProto.newBuilder()
            .setName("sensitive")
            .addInput(tensorValue(INPUT, FLOAT, dim(1), dim(8), dim(8), dim(8)))
            .addOutput(tensorValue(OUTPUT, FLOAT, dim(1), dim(4), dim(1), dim(1)))
            .addAllInitializer(init)
            .addAllNode(nodes)
            .build();
    return TestModels.model(g, 17);
  }

  /**
   * image [1,3,16,16] → Conv 3→8 → hard-swish written out (x · Clip(x + 3, 0, 6) / 6) → Conv 8→8 →
   * gate by HardSigmoid (x · HardSigmoid(x)) → Conv 8→4 → scores: MobileNetV3's activations, in
   * opset 9 like the PaddleOCR classifier.
   */
  static ModelProto hardSwishNet(long seed) {
    Random r = new Random(seed);
    List<TensorProto> init = new ArrayList<>();
    List<NodeProto> nodes = new ArrayList<>();
    conv(init, nodes, r, "c1", INPUT, "y", 3, 8, 3, 1, 1);
    init.add(floatTensor("three", new long[0], new float[] {3f}));
    init.add(floatTensor("six", new long[0], new float[] {6f}));
    nodes.add(node("Add", "plus3", List.of("y", "three"), List.of("y3")));
    nodes.add(
        node(
            "Clip",
            "relu6",
            List.of("y3"),
            List.of("y6"),
            floatAttribute("min", 0f),
            floatAttribute("max", 6f)));
    nodes.add(node("Div", "by6", List.of("y6", "six"), List.of("gate")));
    nodes.add(node("Mul", "hswish", List.of("y", "gate"), List.of("hs")));
    conv(init, nodes, r, "c2", "hs", "z", 8, 8, 3, 1, 1);
    nodes.add(node("HardSigmoid", "hsig", List.of("z"), List.of("g")));
    nodes.add(node("Mul", "gated", List.of("z", "g"), List.of("zg")));
    conv(init, nodes, r, "c3", "zg", OUTPUT, 8, 4, 1, 1, 0);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("hardswish")
            .addInput(tensorValue(INPUT, FLOAT, dim(1), dim(3), dim(16), dim(16)))
            .addOutput(tensorValue(OUTPUT, FLOAT, dim(1), dim(4), dim(16), dim(16)))
            .addAllInitializer(init)
            .addAllNode(nodes)
            .build();
    return TestModels.model(g, 9);
  }

  /**
   * image [1,8,16,16] → Conv 8→8 (3x3) + Relu → Conv 8→8 (3x3) + Relu → ConvTranspose 8→4 (2x2,
   * stride 2) → Sigmoid → maps [1,4,32,32]: a DB text detector's head in small, where the last
   * Conv's only reader has no integer form.
   */
  static ModelProto headNet(long seed) {
    Random r = new Random(seed);
    List<TensorProto> init = new ArrayList<>();
    List<NodeProto> nodes = new ArrayList<>();
    conv(init, nodes, r, "body", INPUT, "b", 8, 8, 3, 1, 1);
    nodes.add(node("Relu", "body_relu", List.of("b"), List.of("br")));
    conv(init, nodes, r, "head", "br", "h", 8, 8, 3, 1, 1);
    nodes.add(node("Relu", "head_relu", List.of("h"), List.of("hr")));
    init.add(floatTensor("up_w", new long[] {8, 4, 2, 2}, gaussian(r, 8 * 4 * 4, 0.3f)));
    nodes.add(
        node(
            "ConvTranspose",
            "up",
            List.of("hr", "up_w"),
            List.of("u"),
            intsAttribute("kernel_shape", 2, 2),
            intsAttribute("strides", 2, 2)));
    nodes.add(node("Sigmoid", "sigmoid", List.of("u"), List.of(OUTPUT)));
    GraphProto g =
        GraphProto.newBuilder()
            .setName("head")
            .addInput(tensorValue(INPUT, FLOAT, dim(1), dim(8), dim(16), dim(16)))
            .addOutput(tensorValue(OUTPUT, FLOAT, dim(1), dim(4), dim(32), dim(32)))
            .addAllInitializer(init)
            .addAllNode(nodes)
            .build();
    return TestModels.model(g, 17);
  }

  private static ai.onnx.proto.OnnxMl.AttributeProto floatAttribute(String name, float value) {
    return ai.onnx.proto.OnnxMl.AttributeProto.newBuilder()
        .setName(name)
        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.FLOAT)
        .setF(value)
        .build();
  }

  private static void conv(
      List<TensorProto> init,
      List<NodeProto> nodes,
      Random r,
      String name,
      String in,
      String out,
      int cin,
      int cout,
      int k,
      int stride,
      int pad) {
    float scale = (float) Math.sqrt(2.0 / (cin * k * k));
    init.add(
        floatTensor(
            name + "_w", new long[] {cout, cin, k, k}, gaussian(r, cout * cin * k * k, scale)));
    init.add(floatTensor(name + "_b", new long[] {cout}, gaussian(r, cout, 0.05f)));
    nodes.add(
        node(
            "Conv",
            name,
            List.of(in, name + "_w", name + "_b"),
            List.of(out),
            intsAttribute("kernel_shape", k, k),
            intsAttribute("strides", stride, stride),
            intsAttribute("pads", pad, pad, pad, pad)));
  }

  private static float[] gaussian(Random r, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian() * scale;
    }
    return v;
  }

  private static float[] positive(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = 0.5f + r.nextFloat();
    }
    return v;
  }
}
