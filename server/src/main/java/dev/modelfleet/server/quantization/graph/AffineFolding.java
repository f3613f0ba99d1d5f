package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import dev.modelfleet.server.quantization.graph.QuantizationReport.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * int8-qdq pre-processing: folds multiplications and additions by stored constants into the Conv
 * next to them, exactly (in float):
 *
 * <ul>
 *   <li>after a Conv whose only reader it is: {@code Mul} by a constant per output channel (or one
 *       for all) scales the Conv's weights and bias, {@code Add} of one shifts its bias;
 *   <li>before a Conv without padding whose only input it is: {@code Mul} by one constant scales
 *       the weights, {@code Add} of one adds {@code c·Σw} to each output channel's bias (with
 *       padding the border would read c where it read 0, so a padded Conv keeps them).
 * </ul>
 *
 * <p>Why: PaddleOCR's PP-OCRv4 detector (PPLCNetV3) follows every Conv by a learnable affine {@code
 * ·a + b} and every hard-swish by another. Quantized as written, each of those is a QLinearAdd
 * whose output is rounded to 8 bits again, on tensors whose range outliers already make coarse:
 * three roundings where one would do, and 95 QLinearAdd kernels to run. Folded, the Conv writes the
 * affine's result directly.
 */
public final class AffineFolding {

  private final Map<String, TensorProto> constants = new HashMap<>();
  private final Map<String, List<NodeProto>> readers = new HashMap<>();
  private final Set<String> graphOutputs = new HashSet<>();
  private final List<TensorProto> added = new ArrayList<>();
  private final Namer namer;
  private final List<Op> converted;

  private AffineFolding(GraphProto graph, List<Op> converted) {
    this.namer = new Namer(OnnxGraphs.allNames(graph));
    this.converted = converted;
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
  }

  /**
   * The model with every foldable constant Mul/Add folded into its Conv (main graph only), one
   * {@code converted} entry per fold; the model itself when there is none.
   */
  public static ModelProto fold(ModelProto model, List<Op> converted) {
    AffineFolding f = new AffineFolding(model.getGraph(), converted);
    List<NodeProto> nodes = new ArrayList<>(model.getGraph().getNodeList());
    int before = converted.size();
    // each fold removes one node, so this ends; a fold can enable another (Mul then Add)
    while (f.foldOnce(nodes)) {
      // repeat
    }
    if (converted.size() == before) {
      return model;
    }
    GraphProto.Builder g =
        model.getGraph().toBuilder().clearNode().addAllNode(nodes).addAllInitializer(f.added);
    GraphProto graph = OnnxGraphs.pruneUnusedConstants(g.build(), OnnxGraphs.usedNames(g.build()));
    return model.toBuilder().setGraph(graph).build();
  }

  private boolean foldOnce(List<NodeProto> nodes) {
    readers.clear();
    for (NodeProto n : nodes) {
      for (String in : n.getInputList()) {
        readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto n = nodes.get(i);
      if (!isAffine(n)) {
        continue;
      }
      String x = activation(n);
      NodeProto producer = onlyWriterReadOnceBy(nodes, x, n);
      if (producer != null) {
        NodeProto conv = intoPrevious(producer, n);
        if (conv != null) {
          nodes.set(nodes.indexOf(producer), conv);
          nodes.remove(n);
          return true;
        }
      }
      List<NodeProto> next = readers.getOrDefault(n.getOutput(0), List.of());
      if (next.size() == 1 && !graphOutputs.contains(n.getOutput(0))) {
        NodeProto conv = intoNext(n, next.get(0));
        if (conv != null) {
          nodes.set(nodes.indexOf(next.get(0)), conv);
          nodes.remove(i);
          return true;
        }
      }
    }
    return false;
  }

  /** A Mul or Add of one activation and one stored float32 constant. */
  private boolean isAffine(NodeProto n) {
    if (!n.getDomain().isEmpty()
        || !(n.getOpType().equals("Mul") || n.getOpType().equals("Add"))
        || n.getInputCount() != 2
        || n.getOutputCount() != 1) {
      return false;
    }
    TensorProto a = constants.get(n.getInput(0));
    TensorProto b = constants.get(n.getInput(1));
    TensorProto c = a == null ? b : b == null ? a : null;
    return c != null && c.getDataType() == Tensors.FLOAT && !Tensors.isExternal(c);
  }

  private String activation(NodeProto n) {
    return constants.containsKey(n.getInput(0)) ? n.getInput(1) : n.getInput(0);
  }

  private float[] constant(NodeProto n) {
    String c = constants.containsKey(n.getInput(0)) ? n.getInput(0) : n.getInput(1);
    return Tensors.floats(constants.get(c));
  }

  /** The constant's dims, for checking it broadcasts along the channel axis. */
  private List<Long> constantDims(NodeProto n) {
    String c = constants.containsKey(n.getInput(0)) ? n.getInput(0) : n.getInput(1);
    return constants.get(c).getDimsList();
  }

  /** The Conv writing {@code tensor} when {@code reader} is its only reader; else null. */
  private NodeProto onlyWriterReadOnceBy(List<NodeProto> nodes, String tensor, NodeProto reader) {
    if (graphOutputs.contains(tensor) || readers.getOrDefault(tensor, List.of()).size() != 1) {
      return null;
    }
    for (NodeProto n : nodes) {
      if (n.getOutputCount() == 1 && n.getOutput(0).equals(tensor)) {
        return RewritableConv.is(constants, n) ? n : null;
      }
    }
    return null;
  }

  /** Conv → Mul/Add by a per-output-channel (or scalar) constant, as one Conv; else null. */
  private NodeProto intoPrevious(NodeProto conv, NodeProto affine) {
    float[] w = Tensors.floats(constants.get(conv.getInput(1)));
    int channels = (int) constants.get(conv.getInput(1)).getDims(0);
    float[] k = constant(affine);
    List<Long> dims = constantDims(affine);
    int rank = constants.get(conv.getInput(1)).getDimsCount();
    boolean scalar = k.length == 1 && dims.size() <= rank;
    // per channel: [C, 1, ..., 1] with one axis per spatial axis, optionally a leading 1
    boolean perChannel =
        k.length == channels
            && dims.size() >= rank - 1
            && dims.size() <= rank
            && dims.get(dims.size() - (rank - 1)) == channels;
    if (!scalar && !perChannel || !allFinite(k)) {
      return null;
    }
    float[] b = bias(conv, channels);
    int per = w.length / channels;
    boolean mul = affine.getOpType().equals("Mul");
    for (int c = 0; c < channels; c++) {
      float kc = scalar ? k[0] : k[c];
      if (mul) {
        for (int i = c * per; i < (c + 1) * per; i++) {
          w[i] *= kc;
        }
        b[c] *= kc;
      } else {
        b[c] += kc;
      }
    }
    report(affine, "folded into " + OnnxGraphs.nodeLabel(conv) + "'s weights and bias");
    return rewritten(conv, conv.getInput(0), w, b).toBuilder()
        .setOutput(0, affine.getOutput(0))
        .build();
  }

  /** Mul/Add by one constant → Conv without padding, as one Conv; else null. */
  private NodeProto intoNext(NodeProto affine, NodeProto conv) {
    if (!RewritableConv.is(constants, conv)
        || !conv.getInput(0).equals(affine.getOutput(0))
        || padded(conv)) {
      return null;
    }
    float[] k = constant(affine);
    int rank = constants.get(conv.getInput(1)).getDimsCount();
    if (k.length != 1 || constantDims(affine).size() > rank || !allFinite(k)) {
      return null;
    }
    float[] w = Tensors.floats(constants.get(conv.getInput(1)));
    int channels = (int) constants.get(conv.getInput(1)).getDims(0);
    float[] b = bias(conv, channels);
    int per = w.length / channels;
    if (affine.getOpType().equals("Mul")) {
      for (int i = 0; i < w.length; i++) {
        w[i] *= k[0];
      }
    } else {
      for (int c = 0; c < channels; c++) {
        double sum = 0;
        for (int i = c * per; i < (c + 1) * per; i++) {
          sum += w[i];
        }
        b[c] += (float) (k[0] * sum);
      }
    }
    report(affine, "folded into " + OnnxGraphs.nodeLabel(conv) + "'s weights and bias");
    return rewritten(conv, activation(affine), w, b);
  }

  private static boolean padded(NodeProto conv) {
    for (var a : conv.getAttributeList()) {
      if (a.getName().equals("pads") && a.getIntsList().stream().anyMatch(p -> p != 0)) {
        return true;
      }
      if (a.getName().equals("auto_pad")
          && !List.of("", "NOTSET", "VALID").contains(a.getS().toStringUtf8())) {
        return true;
      }
    }
    return false;
  }

  private float[] bias(NodeProto conv, int channels) {
    return conv.getInputCount() > 2 && !conv.getInput(2).isEmpty()
        ? Tensors.floats(constants.get(conv.getInput(2)))
        : new float[channels];
  }

  private NodeProto rewritten(NodeProto conv, String input, float[] w, float[] b) {
    TensorProto old = constants.get(conv.getInput(1));
    long[] dims = old.getDimsList().stream().mapToLong(Long::longValue).toArray();
    String label = OnnxGraphs.nodeLabel(conv).replaceAll("[^A-Za-z0-9_./-]", "_");
    TensorProto wt = Tensors.floatTensor(namer.fresh(label + "_folded_w"), dims, w);
    TensorProto bt =
        Tensors.floatTensor(namer.fresh(label + "_folded_b"), new long[] {b.length}, b);
    for (TensorProto t : List.of(wt, bt)) {
      constants.put(t.getName(), t);
      added.add(t);
    }
    NodeProto.Builder out = conv.toBuilder().setInput(0, input).setInput(1, wt.getName());
    if (conv.getInputCount() > 2) {
      out.setInput(2, bt.getName());
    } else {
      out.addInput(bt.getName());
    }
    return out.build();
  }

  private void report(NodeProto affine, String how) {
    converted.add(new Op("main", OnnxGraphs.nodeLabel(affine), affine.getOpType(), how));
  }

  private static boolean allFinite(float[] v) {
    for (float x : v) {
      if (!Float.isFinite(x)) {
        return false;
      }
    }
    return true;
  }
}
