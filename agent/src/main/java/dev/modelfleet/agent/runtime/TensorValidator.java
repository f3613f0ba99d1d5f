package dev.modelfleet.agent.runtime;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks request tensors against a model's declared inputs and says exactly what is wrong, so that
 * a caller gets a 400 with a fixable message rather than an ONNX Runtime error.
 */
public final class TensorValidator {

  private TensorValidator() {}

  public static void check(List<TensorSpec> declared, List<Tensor> given)
      throws InferenceException {
    Map<String, TensorSpec> byName = new HashMap<>();
    for (TensorSpec spec : declared) {
      byName.put(spec.name(), spec);
    }
    Set<String> seen = new HashSet<>();
    for (Tensor tensor : given) {
      TensorSpec spec = byName.get(tensor.name());
      if (spec == null) {
        throw bad(
            "unknown input '"
                + tensor.name()
                + "'; the model's inputs are "
                + declared.stream().map(TensorSpec::name).toList());
      }
      if (!seen.add(tensor.name())) {
        // Checked here, not by counting: [a, a] for inputs [a, b] has the right count.
        throw bad(
            "input '"
                + tensor.name()
                + "' is given twice; the model's inputs are "
                + declared.stream().map(TensorSpec::name).toList());
      }
      if (!spec.datatype().equals(tensor.datatype())) {
        throw bad(
            "input '"
                + tensor.name()
                + "' has datatype "
                + tensor.datatype()
                + ", the model expects "
                + spec.datatype());
      }
      checkShape(spec, tensor);
    }
    if (given.size() != declared.size()) {
      List<String> missing =
          declared.stream()
              .map(TensorSpec::name)
              .filter(n -> given.stream().noneMatch(t -> t.name().equals(n)))
              .toList();
      throw bad("missing input(s) " + missing + "; every model input must be given");
    }
  }

  private static void checkShape(TensorSpec spec, Tensor tensor) throws InferenceException {
    long[] want = spec.shape();
    long[] got = tensor.shape();
    boolean ok = want.length == got.length;
    for (int i = 0; ok && i < want.length; i++) {
      ok = got[i] >= 0 && (want[i] < 0 || want[i] == got[i]);
    }
    if (!ok) {
      throw bad(
          "input '"
              + tensor.name()
              + "' has shape "
              + Arrays.toString(got)
              + ", the model expects "
              + Arrays.toString(want)
              + " (-1 = any size)");
    }
    long count = Tensor.elementCount(got);
    if (count < 0) {
      throw bad(
          "input '"
              + tensor.name()
              + "' has shape "
              + Arrays.toString(got)
              + ", which holds more elements than any tensor can");
    }
    if (count != tensor.length()) {
      throw bad(
          "input '"
              + tensor.name()
              + "' has "
              + tensor.length()
              + " data elements but its"
              + " shape "
              + Arrays.toString(got)
              + " needs "
              + count);
    }
  }

  private static InferenceException bad(String message) {
    return new InferenceException(true, message);
  }
}
