package dev.modelfleet.onnx.samples;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Makes a "fine-tuned" copy of a model, for the tests and benchmarks of model deltas: a fraction of
 * the float weights of its last layers (its last float tensors: initializers, constants, those of
 * subgraphs; see {@link #tune}) nudged by a small relative amount, everything else, layout
 * included, unchanged. That is what a fine-tune of the head of a network does to the file. For
 * models this project made or trusts (it parses them with the unbounded ONNX classes).
 */
public final class FineTunes {

  private static final int MIN_VALUES = 64;

  private FineTunes() {}

  /**
   * @param lastInitializers how many float tensors, counted from the graph's end, are tuned
   * @param fraction share of their values changed (0..1)
   */
  public static byte[] fineTuned(byte[] model, int lastInitializers, double fraction, long seed) {
    ModelProto parsed;
    try {
      parsed = ModelProto.parseFrom(model);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model", e);
    }
    GraphProto.Builder graph = parsed.getGraph().toBuilder();
    int[] left = {lastInitializers};
    tune(graph, left, fraction, new Random(seed));
    if (left[0] == lastInitializers) {
      throw new IllegalArgumentException("the model has no float initializer to tune");
    }
    return parsed.toBuilder().setGraph(graph).build().toByteArray();
  }

  /**
   * Tunes the graph's float tensors from its end: constants and subgraphs of its nodes, last node
   * first (models exported with weights as Constant nodes or inside If branches), then its
   * initializers, last first; {@code left[0]} counts down the tensors still to tune.
   */
  private static void tune(GraphProto.Builder graph, int[] left, double fraction, Random random) {
    for (int n = graph.getNodeCount() - 1; n >= 0 && left[0] > 0; n--) {
      NodeProto.Builder node = graph.getNodeBuilder(n);
      for (int a = node.getAttributeCount() - 1; a >= 0 && left[0] > 0; a--) {
        AttributeProto.Builder attribute = node.getAttributeBuilder(a);
        if (attribute.hasT() && tunable(attribute.getT())) {
          attribute.setT(tuned(attribute.getT(), fraction, random));
          left[0]--;
        }
        if (attribute.hasG()) {
          tune(attribute.getGBuilder(), left, fraction, random);
        }
        for (int g = attribute.getGraphsCount() - 1; g >= 0 && left[0] > 0; g--) {
          tune(attribute.getGraphsBuilder(g), left, fraction, random);
        }
      }
    }
    for (int i = graph.getInitializerCount() - 1; i >= 0 && left[0] > 0; i--) {
      if (tunable(graph.getInitializer(i))) {
        graph.setInitializer(i, tuned(graph.getInitializer(i), fraction, random));
        left[0]--;
      }
    }
  }

  private static boolean tunable(TensorProto tensor) {
    // weights, not the scalars and shapes a graph also keeps as float constants
    return tensor.getDataType() == GraphParts.FLOAT
        && (tensor.getRawData().size() >= 4 * MIN_VALUES
            || tensor.getFloatDataCount() >= MIN_VALUES);
  }

  private static TensorProto tuned(TensorProto tensor, double fraction, Random random) {
    if (!tensor.getRawData().isEmpty()) {
      return tuneRaw(tensor, fraction, random);
    }
    TensorProto.Builder builder = tensor.toBuilder();
    for (int v = 0; v < builder.getFloatDataCount(); v++) {
      if (random.nextDouble() < fraction) {
        builder.setFloatData(v, nudge(builder.getFloatData(v), random));
      }
    }
    return builder.build();
  }

  private static TensorProto tuneRaw(TensorProto tensor, double fraction, Random random) {
    ByteBuffer values =
        ByteBuffer.wrap(tensor.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = 0; at + 4 <= values.limit(); at += 4) {
      if (random.nextDouble() < fraction) {
        values.putFloat(at, nudge(values.getFloat(at), random));
      }
    }
    return tensor.toBuilder().setRawData(ByteString.copyFrom(values.array())).build();
  }

  /** About 1 % relative change: a fine-tune's step, not a new model. */
  private static float nudge(float value, Random random) {
    return (float) (value * (1 + random.nextGaussian() * 0.01) + random.nextGaussian() * 1e-4);
  }
}
