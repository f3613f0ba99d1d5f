package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
          Map.entry("DequantizeLinear", 10),
          // opset 13 (int8 QDQ's per-channel DequantizeLinear needs it): axes and splits became
          // inputs; Squeeze, Unsqueeze and the softmax family are rewritten below, these are not
          Map.entry("Split", 13),
          Map.entry("ReduceSum", 13));

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
            + " (which the derived operators need); re-export the model with opset "
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
    model.setGraph(upgrade(model.getGraph(), current, target, namer));
    for (int i = 0; i < model.getOpsetImportCount(); i++) {
      OperatorSetIdProto id = model.getOpsetImport(i);
      if ((id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx"))
          && id.getVersion() < target) {
        model.setOpsetImport(i, id.toBuilder().setVersion(target));
      }
    }
  }

  /**
   * Clip-6, Slice-1 and Pad-2 in their opset 11 form, Squeeze, Unsqueeze and the softmax family in
   * their opset 13 form when raising that far: the former attributes become inputs.
   */
  private static GraphProto upgrade(GraphProto graph, long current, long target, Namer namer) {
    GraphProto.Builder b = graph.toBuilder().clearNode();
    for (NodeProto original : graph.getNodeList()) {
      NodeProto n = OnnxGraphs.mapSubgraphs(original, g -> upgrade(g, current, target, namer));
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
      } else if (std
          && Set.of("Squeeze", "Unsqueeze").contains(n.getOpType())
          && current < 13
          && target >= 13
          && intsAttr(n, "axes").isPresent()) {
        long[] axes = intsAttr(n, "axes").get();
        String name = namer.fresh(n.getOutput(0) + "_axes");
        b.addNode(
            OnnxGraphs.constant(name, Tensors.int64Tensor(name, new long[] {axes.length}, axes)));
        b.addNode(n.toBuilder().clearAttribute().addInput(name));
      } else if (std && SOFTMAX_FAMILY.contains(n.getOpType()) && current < 13 && target >= 13) {
        b.addAllNode(flattenedSoftmax(n, namer));
      } else {
        b.addNode(n);
      }
    }
    return b.build();
  }

  private static final Set<String> SOFTMAX_FAMILY = Set.of("Softmax", "LogSoftmax", "Hardmax");

  /**
   * Before opset 13 the softmax family flattened its input to 2-D at {@code axis} (default 1) and
   * normalised over the second part; from 13 it normalises along one axis. Flatten, the operator on
   * the last axis, then Reshape back to the input's shape means exactly the old thing at any rank.
   */
  private static List<NodeProto> flattenedSoftmax(NodeProto n, Namer namer) {
    long axis = OnnxGraphs.readInt(n, "axis", 1);
    String x = n.getInput(0);
    String base = n.getOutput(0);
    String flat = namer.fresh(base + "_2d");
    String soft = namer.fresh(base + "_2d_out");
    String shape = namer.fresh(base + "_shape");
    return List.of(
        OnnxGraphs.node(
            "Flatten",
            namer.fresh(base + "_flatten"),
            List.of(x),
            List.of(flat),
            OnnxGraphs.intAttr("axis", axis)),
        n.toBuilder()
            .clearAttribute()
            .clearInput()
            .addInput(flat)
            .clearOutput()
            .addOutput(soft)
            .addAttribute(OnnxGraphs.intAttr("axis", -1))
            .build(),
        OnnxGraphs.node("Shape", namer.fresh(base + "_shape_of"), List.of(x), List.of(shape)),
        OnnxGraphs.node(
            "Reshape", namer.fresh(base + "_reshape"), List.of(soft, shape), List.of(base)));
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
