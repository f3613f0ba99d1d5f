package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * int8 static: the same integer operators as int8 dynamic, but each activation is quantized with a
 * constant scale and zero point measured on the operator's calibration inputs, which removes the
 * per-call min/max pass. Ranges come from the float reference run with the activations exposed as
 * extra outputs: min/max over all samples, or a percentile (e.g. 99.99) that ignores rare outliers.
 * Activations inside subgraphs (If/Loop branches) cannot be exposed that way; their operators stay
 * dynamic and the report says so.
 */
public final class Int8StaticQuantizer {

  /** At most this many values per activation are kept for the percentile method. */
  private static final int MAX_KEPT = 1 << 20;

  public enum Method {
    MINMAX,
    PERCENTILE
  }

  static final String NO_MAIN_GRAPH_OPERATOR =
      "int8-static calibrates only operators of the main graph,"
          + " and this model has no Conv, MatMul or Gemm there (its weights are inside If/Loop branches);"
          + " use int8-dynamic";

  private Int8StaticQuantizer() {}

  public static Int8DynamicQuantizer.Result quantize(
      ModelProto model, ValidationSet calibration, Method method, double percentile) {
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
      ValidationSet calibration,
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
    // the same single-thread session as every other derivation run: requests come first
    try (OrtSession.SessionOptions o = VariantCheck.options();
        OrtSession session = VariantCheck.open(exposed, o)) {
      for (Map<String, ValidationSet.Sample> sample : calibration.samples()) {
        Map<String, OnnxTensor> in = VariantCheck.tensors(session, sample);
        try (OrtSession.Result result = session.run(in, names)) {
          for (String name : names) {
            FloatBuffer fb = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
            float[] v = new float[fb.remaining()];
            fb.get(v);
            float[] mm =
                minMax.computeIfAbsent(name, k -> new float[] {0f, 0f}); // 0 always representable
            for (float x : v) {
              mm[0] = Math.min(mm[0], x);
              mm[1] = Math.max(mm[1], x);
            }
            if (method == Method.PERCENTILE) {
              kept.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
            }
          }
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    } catch (OrtException e) {
      throw new DerivationException(
          "the reference failed on the calibration inputs: " + VariantCheck.firstLine(e));
    }
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
