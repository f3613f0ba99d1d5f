package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** int8-qdq's last pre-processing step, before calibration: see {@link #rewrite}. */
public final class IntegerKernelRewrite {

  private IntegerKernelRewrite() {}

  /**
   * Rewrites the main graph's operators that have no integer kernel into equivalent ones that do,
   * so a quantized network is not cut into float islands: {@code Div} by a stored constant becomes
   * {@code Mul} by its reciprocal, and {@code HardSigmoid(x)} (MobileNetV3's hard-swish, the
   * PaddleOCR classifier's squeeze-excite gates) becomes {@code Clip(alpha·x + beta, 0, 1)}, whose
   * Clip ONNX Runtime drops into the preceding QLinearAdd. The same function in float, within a
   * rounding of the reciprocal. Raises the opset to {@link Int8QdqQuantizer#MIN_OPSET} first
   * (refusing, with the reason, a model whose meaning that would change).
   */
  public static ModelProto rewrite(ModelProto model) {
    ModelProto.Builder raised = model.toBuilder();
    OpsetUpgrade.toAtLeast(
        raised, Int8QdqQuantizer.MIN_OPSET); // the Clip below takes its bounds as inputs
    model = raised.build();
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> constants = new HashMap<>();
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    Namer namer = new Namer(OnnxGraphs.allNames(graph));
    GraphProto.Builder out = graph.toBuilder().clearNode();
    boolean changed = false;
    for (NodeProto n : graph.getNodeList()) {
      boolean std = n.getDomain().isEmpty();
      TensorProto divisor =
          std && n.getOpType().equals("Div") && n.getInputCount() == 2
              ? constants.get(n.getInput(1))
              : null;
      if (divisor != null
          && divisor.getDataType() == Tensors.FLOAT
          && !Tensors.isExternal(divisor)) {
        float[] v = Tensors.floats(divisor);
        boolean finite = true;
        for (int i = 0; i < v.length; i++) {
          finite &= v[i] != 0 && Float.isFinite(1 / v[i]);
          v[i] = 1 / v[i];
        }
        if (finite) {
          String name = namer.fresh(n.getInput(1) + "_reciprocal");
          long[] dims = divisor.getDimsList().stream().mapToLong(Long::longValue).toArray();
          out.addInitializer(Tensors.floatTensor(name, dims, v));
          out.addNode(n.toBuilder().setOpType("Mul").setInput(1, name));
          changed = true;
          continue;
        }
      }
      if (std && n.getOpType().equals("HardSigmoid") && n.getOutputCount() == 1) {
        String base = n.getOutput(0);
        String alpha = namer.fresh(base + "_alpha");
        String beta = namer.fresh(base + "_beta");
        String zero = namer.fresh(base + "_zero");
        String one = namer.fresh(base + "_one");
        out.addInitializer(scalar(alpha, OnnxGraphs.readFloat(n, "alpha", 0.2f)));
        out.addInitializer(scalar(beta, OnnxGraphs.readFloat(n, "beta", 0.5f)));
        out.addInitializer(scalar(zero, 0f));
        out.addInitializer(scalar(one, 1f));
        String scaled = namer.fresh(base + "_scaled");
        String shifted = namer.fresh(base + "_shifted");
        out.addNode(
            OnnxGraphs.node(
                "Mul", namer.fresh(base + "_mul"), List.of(n.getInput(0), alpha), List.of(scaled)));
        out.addNode(
            OnnxGraphs.node(
                "Add", namer.fresh(base + "_add"), List.of(scaled, beta), List.of(shifted)));
        out.addNode(
            OnnxGraphs.node(
                "Clip", OnnxGraphs.nodeLabel(n), List.of(shifted, zero, one), List.of(base)));
        changed = true;
        continue;
      }
      out.addNode(n);
    }
    return changed ? model.toBuilder().setGraph(out).build() : model;
  }

  private static TensorProto scalar(String name, float value) {
    return Tensors.floatTensor(name, new long[0], new float[] {value});
  }
}
