package dev.modelfleet.agent.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * Inputs for a warm-up and smoke test, built from a model's own input declarations: dynamic
 * dimensions become 1, numbers are small and deterministic. A model that cannot run this is not
 * activated.
 *
 * <p>Some models need more than one element along a dynamic axis (an audio model's STFT needs a
 * window of samples), so callers may try again with a larger size for a dynamic last dimension
 * (samples, tokens, features by convention); other dynamic dimensions (batch and the like, which
 * must agree across inputs) stay 1.
 */
public final class SmokeInputs {

  private SmokeInputs() {}

  /** Sizes worth trying, in order, for dynamic dimensions after the first. */
  public static final int[] DYNAMIC_SIZES = {1, 256, 512};

  public static List<Tensor> forModel(List<TensorSpec> inputs) {
    return forModel(inputs, 1);
  }

  public static List<Tensor> forModel(List<TensorSpec> inputs, int dynamicSize) {
    List<Tensor> tensors = new ArrayList<>();
    for (TensorSpec spec : inputs) {
      long[] shape = spec.shape().clone();
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] < 0) {
          shape[i] = i > 0 && i == shape.length - 1 ? dynamicSize : 1;
        }
      }
      int count = Math.toIntExact(Tensor.elementCount(shape));
      tensors.add(new Tensor(spec.name(), spec.datatype(), shape, data(spec.datatype(), count)));
    }
    return tensors;
  }

  private static Object data(String datatype, int count) {
    return switch (datatype) {
      case "FP32" -> {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
          values[i] = (i % 7) * 0.01f;
        }
        yield values;
      }
      case "FP64" -> new double[count];
      case "INT64" -> new long[count];
      case "INT32" -> new int[count];
      case "INT16" -> new short[count];
      case "INT8", "UINT8" -> new byte[count];
      case "BOOL" -> new boolean[count];
      default -> throw new IllegalArgumentException("cannot build a smoke input of " + datatype);
    };
  }
}
