package dev.modelfleet.agent.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Inputs for a warm-up and smoke test, built from a model's own input declarations: dynamic
 * dimensions become 1, numbers are small and deterministic. A model that cannot run this is
 * not activated.
 */
public final class SmokeInputs {

  private SmokeInputs() {}

  public static List<Tensor> forModel(List<TensorSpec> inputs) {
    List<Tensor> tensors = new ArrayList<>();
    for (TensorSpec spec : inputs) {
      long[] shape = Arrays.stream(spec.shape()).map(d -> d < 0 ? 1 : d).toArray();
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
