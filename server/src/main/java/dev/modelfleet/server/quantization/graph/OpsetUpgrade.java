package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Raises a model's default-domain opset to what the derived operators need. Sound only when every
 * operator means the same at the new opset, so the three common ones whose attributes became inputs
 * by opset 11 (Clip, Slice, Pad; the PaddleOCR classifier, opset 9, uses Clip and Slice) are
 * rewritten to their new form, and a model using any other changed operator is refused with the
 * reason.
 */
public final class OpsetUpgrade {

  /**
   * Operators whose inputs or attributes changed incompatibly in opsets 10 and 11 (attributes
   * turned into inputs, removed or re-typed), with the opset of the change.
   */
  private static final Map<String, Integer> CHANGED =
      Map.ofEntries(
          Map.entry("TopK", 10),
          Map.entry("Upsample", 10),
          Map.entry("Resize", 11),
          Map.entry("Scatter", 11),
          Map.entry("Mod", 10),
          Map.entry("Dropout", 10),
          Map.entry("QuantizeLinear", 10),
          Map.entry("DequantizeLinear", 10));

  private OpsetUpgrade() {}

  /** Null when the model's opset can be raised to {@code target}; else why not. */
  public static String refusal(ModelProto model, long target) {
    long current = OnnxGraphs.defaultOpset(model);
    if (current >= target) {
      return null;
    }
    if (current < 7) {
      return "opset "
          + current
          + " is too old to upgrade; re-export the model with opset "
          + target
          + " or newer";
    }
    TreeSet<String> blocking = new TreeSet<>();
    OnnxGraphs.forEachNode(
        model.getGraph(),
        n -> {
          Integer changedAt = n.getDomain().isEmpty() ? CHANGED.get(n.getOpType()) : null;
          if (changedAt != null && changedAt > current && changedAt <= target) {
            blocking.add(n.getOpType());
          }
        });
    return blocking.isEmpty()
        ? null
        : "the model is opset "
            + current
            + " and uses "
            + blocking
            + ", whose meaning changed before opset "
            + target
            + " (which int8 dynamic needs); re-export the model with opset "
            + target
            + " or newer";
  }

  static void toAtLeast(ModelProto.Builder model, long target) {
    String refusal = refusal(model.build(), target);
    if (refusal != null) {
      throw new DerivationException(refusal);
    }
    raise(model, target);
  }

  /** Raises without checking: for a model checked before new-opset operators were added to it. */
  static void raise(ModelProto.Builder model, long target) {
    long current = OnnxGraphs.defaultOpset(model.build());
    if (current >= target) {
      return;
    }
    Namer namer = new Namer(OnnxGraphs.allNames(model.getGraph()));
    model.setGraph(upgrade(model.getGraph(), current, namer));
    for (int i = 0; i < model.getOpsetImportCount(); i++) {
      OperatorSetIdProto id = model.getOpsetImport(i);
      if ((id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx"))
          && id.getVersion() < target) {
        model.setOpsetImport(i, id.toBuilder().setVersion(target));
      }
    }
  }

  /** Clip-6, Slice-1 and Pad-2 in their opset 11 form: the former attributes become inputs. */
  private static GraphProto upgrade(GraphProto graph, long current, Namer namer) {
    GraphProto.Builder b = graph.toBuilder().clearNode();
    for (NodeProto original : graph.getNodeList()) {
      NodeProto n = OnnxGraphs.mapSubgraphs(original, g -> upgrade(g, current, namer));
      boolean std = n.getDomain().isEmpty();
      if (std && n.getOpType().equals("Clip") && current < 11 && n.getInputCount() == 1) {
        String min = namer.fresh(n.getOutput(0) + "_min");
        String max = namer.fresh(n.getOutput(0) + "_max");
        b.addNode(
            OnnxGraphs.constant(
                min,
                Tensors.floatTensor(
                    min, new long[0], new float[] {floatAttr(n, "min").orElse(-Float.MAX_VALUE)})));
        b.addNode(
            OnnxGraphs.constant(
                max,
                Tensors.floatTensor(
                    max, new long[0], new float[] {floatAttr(n, "max").orElse(Float.MAX_VALUE)})));
        b.addNode(n.toBuilder().clearAttribute().addInput(min).addInput(max));
      } else if (std && n.getOpType().equals("Slice") && current < 10 && n.getInputCount() == 1) {
        NodeProto.Builder nb = n.toBuilder().clearAttribute();
        for (String attr : new String[] {"starts", "ends", "axes"}) {
          Optional<long[]> values = intsAttr(n, attr);
          if (values.isEmpty()) {
            continue; // axes is optional; starts and ends are required, ORT reports their absence
          }
          String name = namer.fresh(n.getOutput(0) + "_" + attr);
          b.addNode(
              OnnxGraphs.constant(
                  name, Tensors.int64Tensor(name, new long[] {values.get().length}, values.get())));
          nb.addInput(name);
        }
        b.addNode(nb);
      } else if (std && n.getOpType().equals("Pad") && current < 11 && n.getInputCount() == 1) {
        long[] pads = intsAttr(n, "pads").orElse(new long[0]);
        String padsName = namer.fresh(n.getOutput(0) + "_pads");
        String value = namer.fresh(n.getOutput(0) + "_value");
        b.addNode(
            OnnxGraphs.constant(
                padsName, Tensors.int64Tensor(padsName, new long[] {pads.length}, pads)));
        b.addNode(
            OnnxGraphs.constant(
                value,
                Tensors.floatTensor(
                    value, new long[0], new float[] {floatAttr(n, "value").orElse(0f)})));
        NodeProto.Builder nb = n.toBuilder().clearAttribute().addInput(padsName).addInput(value);
        n.getAttributeList().stream()
            .filter(a -> a.getName().equals("mode"))
            .forEach(nb::addAttribute);
        b.addNode(nb);
      } else {
        b.addNode(n);
      }
    }
    return b.build();
  }

  private static Optional<Float> floatAttr(NodeProto n, String name) {
    return n.getAttributeList().stream()
        .filter(a -> a.getName().equals(name))
        .findFirst()
        .map(AttributeProto::getF);
  }

  private static Optional<long[]> intsAttr(NodeProto n, String name) {
    return n.getAttributeList().stream()
        .filter(a -> a.getName().equals(name))
        .findFirst()
        .map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray());
  }
}
