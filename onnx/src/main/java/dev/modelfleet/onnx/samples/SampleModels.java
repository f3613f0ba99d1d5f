package dev.modelfleet.onnx.samples;

import static dev.modelfleet.onnx.samples.GraphParts.FLOAT;
import static dev.modelfleet.onnx.samples.GraphParts.dim;
import static dev.modelfleet.onnx.samples.GraphParts.floatTensor;
import static dev.modelfleet.onnx.samples.GraphParts.intAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.node;
import static dev.modelfleet.onnx.samples.GraphParts.tensorValue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Small ONNX models the project makes itself, so that demos and tests need no download.
 *
 * <p>The classifier is a two-layer perceptron: {@code input [batch, features]} → Gemm → Relu → Gemm
 * → Softmax → {@code probabilities [batch, classes]}. Weights come from a seeded random generator,
 * so the same seed always gives the same bytes and two seeds give two "versions" of one model with
 * the same signature but different outputs.
 *
 * <p>Main code, not test code: the agent's {@code sample-model} command, the e2e demo and the
 * benchmarks write these at run time.
 */
public final class SampleModels {

  public static final String INPUT = "input";
  public static final String OUTPUT = "probabilities";
  private static final int OPSET = 17;

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
            .addInput(tensorValue(INPUT, FLOAT, dim("batch"), dim(features)))
            .addOutput(tensorValue(OUTPUT, FLOAT, dim("batch"), dim(classes)))
            .addInitializer(weights("w1", random, features, hidden))
            .addInitializer(weights("b1", random, hidden))
            .addInitializer(weights("w2", random, hidden, classes))
            .addInitializer(weights("b2", random, classes))
            .addNode(node("Gemm", "gemm1", List.of(INPUT, "w1", "b1"), List.of("h1")))
            .addNode(node("Relu", "relu1", List.of("h1"), List.of("a1")))
            .addNode(node("Gemm", "gemm2", List.of("a1", "w2", "b2"), List.of("logits")))
            .addNode(
                node(
                    "Softmax",
                    "softmax",
                    List.of("logits"),
                    List.of(OUTPUT),
                    intAttribute("axis", -1)))
            .build();
    return GraphParts.model(graph, "modelfleet", OPSET)
        .setProducerVersion("1")
        .setDocString("ModelFleet sample classifier, seed " + seed)
        .build()
        .toByteArray();
  }

  /**
   * The classifier of {@code seed}, answering exactly what it answers, with a costly branch beside
   * it: the input spread to a 256×256 matrix, multiplied {@code rounds} times by a 256×256 matrix
   * (about 17 million multiply-adds a round), summed, multiplied by zero and added to the logits.
   * The same signature and answers, many times the work: a candidate that only a latency gate
   * stops.
   */
  public static byte[] slowClassifier(long seed, int rounds) {
    if (rounds < 1) {
      throw new IllegalArgumentException("rounds must be at least 1, not " + rounds);
    }
    Random random = new Random(seed);
    Random extra = new Random(~seed);
    int side = 256;
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("modelfleet-sample-slow-classifier")
            .addInput(tensorValue(INPUT, FLOAT, dim("batch"), dim(4)))
            .addOutput(tensorValue(OUTPUT, FLOAT, dim("batch"), dim(3)))
            .addInitializer(weights("w1", random, 4, 16))
            .addInitializer(weights("b1", random, 16))
            .addInitializer(weights("w2", random, 16, 3))
            .addInitializer(weights("b2", random, 3))
            .addInitializer(weights("spread", extra, 4, side))
            .addInitializer(weights("mix", extra, side, side))
            .addInitializer(
                GraphParts.tensor("batch_axis", GraphParts.INT64, new long[] {1}, longs(0)))
            .addInitializer(
                GraphParts.tensor("square", GraphParts.INT64, new long[] {2}, longs(side, side)))
            .addInitializer(floatTensor("zero", new long[] {1}, new float[] {0f}))
            .addNode(node("Gemm", "gemm1", List.of(INPUT, "w1", "b1"), List.of("h1")))
            .addNode(node("Relu", "relu1", List.of("h1"), List.of("a1")))
            .addNode(node("Gemm", "gemm2", List.of("a1", "w2", "b2"), List.of("logits")))
            .addNode(node("MatMul", "spread", List.of(INPUT, "spread"), List.of("wide")))
            .addNode(
                node(
                    "ReduceSum",
                    "rows",
                    List.of("wide", "batch_axis"),
                    List.of("row"),
                    intAttribute("keepdims", 1)))
            .addNode(node("Expand", "square", List.of("row", "square"), List.of("m0")));
    for (int i = 1; i <= rounds; i++) {
      graph
          .addNode(node("MatMul", "mix" + i, List.of("m" + (i - 1), "mix"), List.of("p" + i)))
          .addNode(node("Tanh", "tanh" + i, List.of("p" + i), List.of("m" + i)));
    }
    graph
        .addNode(
            node(
                "ReduceSum",
                "total",
                List.of("m" + rounds),
                List.of("total"),
                intAttribute("keepdims", 1)))
        .addNode(node("Mul", "nothing", List.of("total", "zero"), List.of("nothing")))
        .addNode(node("Add", "same", List.of("logits", "nothing"), List.of("same_logits")))
        .addNode(
            node(
                "Softmax",
                "softmax",
                List.of("same_logits"),
                List.of(OUTPUT),
                intAttribute("axis", -1)));
    return GraphParts.model(graph.build(), "modelfleet", OPSET)
        .setProducerVersion("1")
        .setDocString("ModelFleet sample classifier, seed " + seed + ", " + rounds + " slow rounds")
        .build()
        .toByteArray();
  }

  private static byte[] longs(long... values) {
    java.nio.ByteBuffer buffer =
        java.nio.ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long value : values) {
      buffer.putLong(value);
    }
    return buffer.array();
  }

  public static void writeClassifier(Path target, long seed) throws IOException {
    Files.write(target, classifier(seed));
  }

  /** Gaussian weights of standard deviation 0.5, drawn in row-major order. */
  private static TensorProto weights(String name, Random random, long... dims) {
    float[] values = new float[Math.toIntExact(GraphParts.elements(dims))];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * 0.5);
    }
    return floatTensor(name, dims, values);
  }
}
