package dev.modelfleet.agent.benchmark;

import static dev.modelfleet.onnx.samples.GraphParts.FLOAT;
import static dev.modelfleet.onnx.samples.GraphParts.FLOAT16;
import static dev.modelfleet.onnx.samples.GraphParts.INT8;
import static dev.modelfleet.onnx.samples.GraphParts.UINT8;
import static dev.modelfleet.onnx.samples.GraphParts.dims;
import static dev.modelfleet.onnx.samples.GraphParts.intAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.intsAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.littleEndian;
import static dev.modelfleet.onnx.samples.GraphParts.tensor;
import static dev.modelfleet.onnx.samples.GraphParts.tensorValue;
import static dev.modelfleet.onnx.samples.GraphParts.untypedValue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.modelfleet.onnx.samples.GraphParts;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

/**
 * The micro-benchmark's graphs, built in memory: a MatMul and a 3×3 Conv in fp32, fp16 and int8.
 * Every graph takes the same fp32 input {@code x} so one runner times them all; fp16 graphs cast in
 * and out (as fp16 models exported for a CPU-fed application do), int8 graphs quantize the input on
 * the fly (DynamicQuantizeLinear → MatMulInteger, → QLinearConv), as dynamically quantized models
 * do.
 *
 * <p>Sizes: about 60 M multiply-accumulates per run (weights of 1 MB in fp32, as in a small vision
 * or audio model's layer): ~1 ms in fp32 on one core of an AVX-512 server core, ~10 ms on a
 * Cortex-A55; long enough to time well against the ~20 µs overhead of a call from Java, short
 * enough for dozens to hundreds of runs within the per-graph budget.
 */
public final class BenchmarkGraphs {

  public static final List<String> PRECISIONS = List.of("fp32", "fp16", "int8");
  public static final List<String> KERNELS = List.of("matmul", "conv");

  static final int M = 256;
  static final int K = 512;
  static final int N = 512;
  static final int CHANNELS_IN = 32;
  static final int CHANNELS_OUT = 64;
  static final int SIZE = 56;

  private static final int OPSET = 17;

  /** One graph: its serialized model, the shape of its fp32 input and its MACs per run. */
  public record Graph(
      String kernel, String precision, byte[] model, long[] inputShape, long macs) {}

  private BenchmarkGraphs() {}

  public static Graph graph(String kernel, String precision) {
    Random random = new Random(7);
    boolean matmul = kernel.equals("matmul");
    long[] inputShape = matmul ? new long[] {M, K} : new long[] {1, CHANNELS_IN, SIZE, SIZE};
    long[] weightShape = matmul ? new long[] {K, N} : new long[] {CHANNELS_OUT, CHANNELS_IN, 3, 3};
    long macs = matmul ? (long) M * K * N : (long) CHANNELS_OUT * SIZE * SIZE * CHANNELS_IN * 9;
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("modelfleet-bench-" + kernel + "-" + precision)
            .addInput(tensorValue("x", FLOAT, dims(inputShape)));
    switch (precision) {
      case "fp32" -> {
        graph.addInitializer(tensor("w", FLOAT, weightShape, floats(random, weightShape)));
        graph.addNode(compute(matmul, "x", "w", "y"));
        graph.addOutput(untypedValue("y"));
      }
      case "fp16" -> {
        graph.addInitializer(tensor("w", FLOAT16, weightShape, halfs(random, weightShape)));
        graph.addNode(cast("x", "x16", FLOAT16));
        graph.addNode(compute(matmul, "x16", "w", "y16"));
        graph.addNode(cast("y16", "y", FLOAT));
        graph.addOutput(untypedValue("y"));
      }
      case "int8" -> int8(graph, matmul, random, weightShape);
      default -> throw new IllegalArgumentException("no benchmark graph for " + precision);
    }
    byte[] model = GraphParts.model(graph.build(), "modelfleet", OPSET).build().toByteArray();
    return new Graph(kernel, precision, model, inputShape, macs);
  }

  private static void int8(
      GraphProto.Builder graph, boolean matmul, Random random, long[] weightShape) {
    byte[] weights = new byte[Math.toIntExact(count(weightShape))];
    random.nextBytes(weights);
    graph.addInitializer(tensor("w", INT8, weightShape, weights));
    graph.addInitializer(tensor("w_zero", INT8, new long[0], new byte[1]));
    graph.addNode(node("DynamicQuantizeLinear", List.of("x"), List.of("xq", "x_scale", "x_zero")));
    if (matmul) {
      graph.addNode(node("MatMulInteger", List.of("xq", "w", "x_zero", "w_zero"), List.of("y")));
    } else {
      graph.addInitializer(tensor("w_scale", FLOAT, new long[0], littleEndian(0.01f)));
      graph.addInitializer(tensor("y_scale", FLOAT, new long[0], littleEndian(0.05f)));
      graph.addInitializer(tensor("y_zero", UINT8, new long[0], new byte[] {(byte) 128}));
      graph.addNode(
          withPads(
              node(
                  "QLinearConv",
                  List.of("xq", "x_scale", "x_zero", "w", "w_scale", "w_zero", "y_scale", "y_zero"),
                  List.of("y"))));
    }
    graph.addOutput(untypedValue("y"));
  }

  private static NodeProto compute(boolean matmul, String x, String w, String y) {
    return matmul
        ? node("MatMul", List.of(x, w), List.of(y))
        : withPads(node("Conv", List.of(x, w), List.of(y)));
  }

  private static NodeProto withPads(NodeProto node) {
    return node.toBuilder().addAttribute(intsAttribute("pads", 1, 1, 1, 1)).build();
  }

  private static NodeProto cast(String from, String to, int type) {
    return node("Cast", List.of(from), List.of(to), intAttribute("to", type));
  }

  /** A node named after its operator and first output, unique in these graphs. */
  private static NodeProto node(
      String op, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
    return GraphParts.node(op, op + "_" + outputs.get(0), inputs, outputs, attributes);
  }

  static long count(long[] shape) {
    return GraphParts.elements(shape);
  }

  private static byte[] floats(Random random, long[] shape) {
    ByteBuffer data =
        ByteBuffer.allocate(Math.toIntExact(count(shape)) * Float.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
    while (data.hasRemaining()) {
      data.putFloat((float) (random.nextGaussian() * 0.1));
    }
    return data.array();
  }

  private static byte[] halfs(Random random, long[] shape) {
    ByteBuffer data =
        ByteBuffer.allocate(Math.toIntExact(count(shape)) * Short.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
    while (data.hasRemaining()) {
      data.putShort(toHalf((float) (random.nextGaussian() * 0.1)));
    }
    return data.array();
  }

  /** IEEE 754 binary16, rounded; values below the normal range become 0 (fine for weights). */
  static short toHalf(float value) {
    int bits = Float.floatToIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    if (exponent <= 0) {
      return (short) sign;
    }
    if (exponent >= 31) {
      return (short) (sign | 0x7c00);
    }
    return (short) (sign | ((exponent << 10) + (((bits & 0x7fffff) + 0x1000) >> 13)));
  }
}
