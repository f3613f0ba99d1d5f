package dev.modelfleet.onnx.samples;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Makes a "fine-tuned" copy of a model, for the tests and benchmarks of model deltas: a fraction of
 * the float weights of its last layers (its last float initializers, in graph order) nudged by a
 * small relative amount, everything else, layout included, unchanged. That is what a fine-tune of
 * the head of a network does to the file. For models this project made or trusts (it parses them
 * with the unbounded ONNX classes).
 */
public final class FineTunes {

  private FineTunes() {}

  /**
   * @param lastInitializers how many float initializers, counted from the graph's end, are tuned
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
    Random random = new Random(seed);
    int tuned = 0;
    for (int i = graph.getInitializerCount() - 1; i >= 0 && tuned < lastInitializers; i--) {
      TensorProto tensor = graph.getInitializer(i);
      if (tensor.getDataType() != GraphParts.FLOAT) {
        continue;
      }
      if (!tensor.getRawData().isEmpty()) {
        graph.setInitializer(i, tuneRaw(tensor, fraction, random));
        tuned++;
      } else if (tensor.getFloatDataCount() > 0) {
        TensorProto.Builder builder = tensor.toBuilder();
        for (int v = 0; v < builder.getFloatDataCount(); v++) {
          if (random.nextDouble() < fraction) {
            builder.setFloatData(v, nudge(builder.getFloatData(v), random));
          }
        }
        graph.setInitializer(i, builder.build());
        tuned++;
      }
    }
    if (tuned == 0) {
      throw new IllegalArgumentException("the model has no float initializer to tune");
    }
    return parsed.toBuilder().setGraph(graph).build().toByteArray();
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
