package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * int8 static: the same integer operators as int8 dynamic, but each activation is quantized with a
 * constant scale and zero point measured on the operator's calibration inputs, which removes the
 * per-call min/max pass. Ranges come from the float reference run with the activations exposed as
 * extra outputs: min/max over all samples, or a percentile (e.g. 99.99) that ignores rare outliers.
 * Activations inside subgraphs (If/Loop branches) cannot be exposed that way; their operators stay
 * dynamic and the report says so.
 *
 * <p>Running the reference is not this package's job (it rewrites graphs and runs none): the caller
 * supplies the runs as {@link ActivationRuns}.
 */
public final class Int8StaticQuantizer {

  /** At most this many values per activation are kept for the percentile method. */
  private static final int MAX_KEPT = 1 << 20;

  public enum Method {
    MINMAX,
    PERCENTILE
  }

  public static final String NO_MAIN_GRAPH_OPERATOR =
      "int8-static calibrates only operators of the main graph,"
          + " and this model has no Conv, MatMul or Gemm there (its weights are inside If/Loop branches);"
          + " use int8-dynamic";

  /**
   * Runs a model on every calibration sample and hands over the values of the named activations,
   * which the model declares as extra outputs: {@code values} gets (name, values) once per name and
   * sample. Throws {@link DerivationException} when the model fails on a sample.
   */
  public interface ActivationRuns {
    void run(byte[] model, Set<String> activations, BiConsumer<String, float[]> values);
  }

  private Int8StaticQuantizer() {}

  public static Int8DynamicQuantizer.Result quantize(
      ModelProto model, ActivationRuns calibration, Method method, double percentile) {
    Set<String> activations = new LinkedHashSet<>();
    for (NodeProto n : model.getGraph().getNodeList()) {
      if (n.getDomain().isEmpty() && Set.of("Conv", "MatMul", "Gemm").contains(n.getOpType())) {
        activations.add(n.getInput(0));
      }
    }
    if (activations.isEmpty()) {
      throw new DerivationException(NO_MAIN_GRAPH_OPERATOR);
    }
    Map<String, float[]> ranges = ranges(model, activations, calibration, method, percentile);
    return Int8DynamicQuantizer.quantize(model, ranges);
  }

  private static Map<String, float[]> ranges(
      ModelProto model,
      Set<String> names,
      ActivationRuns calibration,
      Method method,
      double percentile) {
    Set<String> declared = new java.util.HashSet<>();
    model.getGraph().getOutputList().forEach(v -> declared.add(v.getName()));
    GraphProto.Builder g = model.getGraph().toBuilder();
    for (String name : names) {
      if (!declared.contains(name)) {
        g.addOutput(
            ValueInfoProto.newBuilder()
                .setName(name)
                .setType(
                    TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(Tensors.FLOAT))));
      }
    }
    byte[] exposed = model.toBuilder().setGraph(g).build().toByteArray();
    Map<String, float[]> minMax = new HashMap<>();
    Map<String, List<float[]>> kept = new HashMap<>();
    calibration.run(
        exposed,
        names,
        (name, v) -> {
          float[] mm =
              minMax.computeIfAbsent(name, k -> new float[] {0f, 0f}); // 0 always representable
          for (float x : v) {
            mm[0] = Math.min(mm[0], x);
            mm[1] = Math.max(mm[1], x);
          }
          if (method == Method.PERCENTILE) {
            kept.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
          }
        });
    Map<String, float[]> ranges = new HashMap<>();
    for (String name : names) {
      float[] mm = minMax.get(name);
      float lo = mm[0];
      float hi = mm[1];
      if (method == Method.PERCENTILE) {
        float[] all = sampled(kept.get(name));
        Arrays.sort(all);
        lo = Math.min(0f, all[(int) Math.floor((1 - percentile / 100) * (all.length - 1))]);
        hi = Math.max(0f, all[(int) Math.ceil(percentile / 100 * (all.length - 1))]);
      }
      float scale = hi > lo ? (hi - lo) / 255f : 1f;
      float zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
      ranges.put(name, new float[] {scale, zeroPoint});
    }
    return ranges;
  }

  /** All values, or an even stride through them when there are more than {@link #MAX_KEPT}. */
  private static float[] sampled(List<float[]> parts) {
    long total = parts.stream().mapToLong(p -> p.length).sum();
    long stride = Math.max(1, (total + MAX_KEPT - 1) / MAX_KEPT);
    float[] out = new float[(int) ((total + stride - 1) / stride)];
    long i = 0;
    int n = 0;
    for (float[] p : parts) {
      for (float v : p) {
        if (i++ % stride == 0 && n < out.length) {
          out[n++] = v;
        }
      }
    }
    return Arrays.copyOf(out, n);
  }
}
