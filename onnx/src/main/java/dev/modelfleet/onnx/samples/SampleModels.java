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
