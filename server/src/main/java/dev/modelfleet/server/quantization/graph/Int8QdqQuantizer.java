package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import dev.modelfleet.server.quantization.graph.QuantizationReport.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * int8 in the QDQ form: the float graph stays as it is, and each quantized tensor passes through a
 * QuantizeLinear / DequantizeLinear pair. ONNX Runtime's CPU provider recognises the groups
 * "DequantizeLinear on every input → operator → QuantizeLinear on its output" and replaces them by
 * its integer kernels (QLinearConv, QLinearMatMul, QGemm, QLinearAdd, QLinearMul, QLinearConcat,
 * QLinearGlobalAveragePool, ...), and drops the pairs around MaxPool, Reshape, Transpose and the
 * like, which move uint8 values unchanged. NPU providers read the same form.
 *
 * <p>The layout follows what those selectors require (ONNX Runtime's qdq_selectors): every input of
 * a fused operator comes from its own DequantizeLinear; its output feeds QuantizeLinear nodes only
 * and is no graph output; a Relu, or a Clip, between the operator and the QuantizeLinear is dropped
 * when the quantized range already ends where it clips (zero point 0 for Relu), so the range is
 * measured on the Relu's output; a Conv's or Gemm's bias is int32 with scale input scale × weight
 * scale; a pass-through operator's QuantizeLinear has exactly its input's scale and zero point.
 *
 * <p>Weights: int8, symmetric (zero point 0) per output channel (Conv axis 0, MatMul's last axis,
 * Gemm's output axis). Activations: uint8, asymmetric per tensor, from calibrated ranges ({@link
 * ActivationRanges}). Only the main graph is rewritten: activations inside If/Loop bodies cannot be
 * calibrated as graph outputs. Graph outputs stay float (the last operator reads quantized inputs
 * and writes float), which keeps a classifier's scores exact to within its inputs' rounding.
 */
public final class Int8QdqQuantizer {

  /** DequantizeLinear with a per-channel axis arrived in opset 13. */
  public static final long MIN_OPSET = 13;

  private static final Set<String> WEIGHTED = Set.of("Conv", "MatMul", "Gemm");

  /** Operators with their own integer kernel, given quantized inputs and output. */
  private static final Set<String> ELEMENTWISE =
      Set.of("Add", "Mul", "Concat", "GlobalAveragePool", "AveragePool", "Sigmoid", "LeakyRelu");

  /** Operators that move values without computing: their pair is dropped when scales agree. */
  private static final Set<String> PASS_THROUGH =
      Set.of("MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze");

  public static final String NO_MAIN_GRAPH_OPERATOR =
      "int8-qdq quantizes operators of the main graph only, and this model has no Conv, MatMul or"
          + " Gemm with a stored float32 weight there (its weights are inside If/Loop branches);"
          + " use int8-dynamic";

  private final GraphProto graph;
  private final Map<String, TensorProto> constants = new HashMap<>();
  private final Map<String, float[]> ranges;
  private final Map<String, String> keepFloat;
  private final Map<String, Integer> uses = new HashMap<>();
  private final Map<String, List<NodeProto>> readers = new HashMap<>();
  private final Set<String> graphOutputs = new HashSet<>();
  private final Namer namer;

  /** Tensor → its scale and uint8 zero point. */
  private final Map<String, float[]> quantized = new LinkedHashMap<>();

  private final Set<NodeProto> selected = new LinkedHashSet<>();

  /** Mul nodes by a positive scalar constant folded into their output's scale: see select(). */
  private final Set<NodeProto> rescales = new HashSet<>();

  private final List<Op> converted = new ArrayList<>();
  private final List<Op> keptFloat = new ArrayList<>();
  private final List<TensorProto> newInitializers = new ArrayList<>();

  private Int8QdqQuantizer(
      ModelProto model, Map<String, float[]> ranges, Map<String, String> keepFloat) {
    this.graph = model.getGraph();
    this.ranges = ranges;
    this.keepFloat = keepFloat;
    this.namer = new Namer(OnnxGraphs.allNames(graph));
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    for (NodeProto n : graph.getNodeList()) {
      if (OnnxGraphs.isConstantNode(n)) {
        constants.put(n.getOutput(0), n.getAttribute(0).getT());
      }
      for (String in : n.getInputList()) {
        readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
    Int8DynamicQuantizer.countUses(graph, uses);
  }

  /**
   * The main graph's float activations a quantization may need a range for: every input and output
   * of the operators it can convert, constants excepted. Calibrate these once; any choice of
   * operators kept in float then needs no new runs.
   */
  public static Set<String> activations(ModelProto model) {
    Int8QdqQuantizer q = new Int8QdqQuantizer(model, Map.of(), Map.of());
    Set<String> names = new LinkedHashSet<>();
    for (NodeProto n : q.graph.getNodeList()) {
      if (!n.getDomain().isEmpty()) {
        continue;
      }
      String op = n.getOpType();
      if (WEIGHTED.contains(op) || ELEMENTWISE.contains(op) || op.equals("Relu")) {
        for (String in : n.getInputList()) {
          if (!in.isEmpty() && !q.constants.containsKey(in)) {
            names.add(in);
          }
        }
        names.add(n.getOutput(0));
      } else if (op.equals("Clip") || PASS_THROUGH.contains(op)) {
        names.add(n.getInput(0));
        names.add(n.getOutput(0));
      }
    }
    return names;
  }

  /**
   * The Conv, MatMul and Gemm nodes (by {@link OnnxGraphs#nodeLabel}) this quantizer converts, in
   * graph order: what a mixed-precision search may keep in float.
   */
  public static List<String> weightedNodes(ModelProto model) {
    Int8QdqQuantizer q = new Int8QdqQuantizer(model, Map.of(), Map.of());
    List<String> out = new ArrayList<>();
    for (NodeProto n : q.graph.getNodeList()) {
      if (n.getDomain().isEmpty()
          && WEIGHTED.contains(n.getOpType())
          && q.weightRefusal(n) == null) {
        out.add(OnnxGraphs.nodeLabel(n));
      }
    }
    return out;
  }

  /**
   * Each block of weighted operators ({@code blocks}: consecutive runs of {@link #weightedNodes})
   * with the operators with integer kernels that feed it: the Add, Mul, Concat and pooling nodes
   * after the previous block's last weighted operator and up to its own (activations written out,
   * affine scales, squeeze-excite gates, residual sums); those after the last block go with the
   * last one. Keeping a stretch float keeps its whole part of the network float: keeping only its
   * Conv float leaves the elementwise operators before it reading the same coarsely quantized
   * tensor, which on a network whose activations have outlier channels (PaddleOCR's PP-OCRv4
   * detector) gains nothing.
   */
  public static List<List<String>> stretches(ModelProto model, List<List<String>> blocks) {
    Map<String, Integer> blockOf = new HashMap<>();
    for (int i = 0; i < blocks.size(); i++) {
      for (String label : blocks.get(i)) {
        blockOf.put(label, i);
      }
    }
    List<List<String>> out = new ArrayList<>();
    blocks.forEach(b -> out.add(new ArrayList<>()));
    List<String> pending = new ArrayList<>();
    for (NodeProto n : model.getGraph().getNodeList()) {
      if (!n.getDomain().isEmpty()) {
        continue;
      }
      String label = OnnxGraphs.nodeLabel(n);
      Integer block = blockOf.get(label);
      if (block != null) {
        out.get(block).addAll(pending);
        out.get(block).add(label);
        pending.clear();
      } else if (ELEMENTWISE.contains(n.getOpType())) {
        pending.add(label);
      }
    }
    if (!out.isEmpty()) {
      out.get(out.size() - 1).addAll(pending);
    }
    return out;
  }

  /** The labels of Conv nodes that convolve each channel alone (group = input channels > 1). */
  public static List<String> depthwiseConvs(ModelProto model) {
    Int8QdqQuantizer q = new Int8QdqQuantizer(model, Map.of(), Map.of());
    List<String> out = new ArrayList<>();
    for (NodeProto n : q.graph.getNodeList()) {
      if (n.getDomain().isEmpty() && n.getOpType().equals("Conv") && q.weightRefusal(n) == null) {
        TensorProto w = q.constants.get(n.getInput(1));
        long group = OnnxGraphs.readInt(n, "group", 1);
        if (group > 1 && w.getDims(1) == 1) {
          out.add(OnnxGraphs.nodeLabel(n));
        }
      }
    }
    return out;
  }

  /**
   * The labels of MaxPool nodes: on uint8 ONNX Runtime runs a plain pooling loop, on float (in its
   * blocked NCHWc layout) a vectorised one, so on small networks a float MaxPool between a
   * DequantizeLinear and a QuantizeLinear can be the faster; a search measures it.
   */
  public static List<String> maxPools(ModelProto model) {
    List<String> out = new ArrayList<>();
    for (NodeProto n : model.getGraph().getNodeList()) {
      if (n.getDomain().isEmpty() && n.getOpType().equals("MaxPool")) {
        out.add(OnnxGraphs.nodeLabel(n));
      }
    }
    return out;
  }

  /**
   * The QDQ model. {@code ranges}: activation → [lo, hi] (from {@link ActivationRanges}); an
   * operator missing a range for an input or output stays float. {@code keepFloat}: node label →
   * why the caller keeps it in float (a mixed-precision search), reported as such.
   */
  public static Int8DynamicQuantizer.Result quantize(
      ModelProto model, Map<String, float[]> ranges, Map<String, String> keepFloat) {
    String refusal = OpsetUpgrade.refusal(model, MIN_OPSET);
    if (refusal != null) {
      throw new DerivationException(refusal);
    }
    Int8QdqQuantizer q = new Int8QdqQuantizer(model, ranges, keepFloat);
    if (weightedNodes(model).isEmpty()) {
      throw new DerivationException(NO_MAIN_GRAPH_OPERATOR);
    }
    q.select();
    GraphProto rewritten = q.rewrite();
    rewritten = OnnxGraphs.pruneUnusedConstants(rewritten, OnnxGraphs.usedNames(rewritten));
    ModelProto.Builder out = model.toBuilder().setGraph(rewritten);
    OpsetUpgrade.raise(out, MIN_OPSET);
    return new Int8DynamicQuantizer.Result(
        out.build(), new QuantizationReport(List.copyOf(q.converted), List.copyOf(q.keptFloat)));
  }

  /**
   * Folds every BatchNormalization that follows a Conv into it, as the first step of int8-qdq's
   * pre-processing, adding one entry per fold to {@code folded}.
   */
  public static ModelProto foldBatchNorms(ModelProto model, List<Op> folded) {
    return BatchNormFolding.foldEverywhere(model, folded);
  }

  // --- which operators and tensors -------------------------------------------------------------

  private void select() {
    // computing operators first: their activation inputs must be quantized
    for (NodeProto n : graph.getNodeList()) {
      if (!n.getDomain().isEmpty()) {
        continue;
      }
      String op = n.getOpType();
      if (!WEIGHTED.contains(op) && !ELEMENTWISE.contains(op)) {
        continue;
      }
      String label = OnnxGraphs.nodeLabel(n);
      String why = keepFloat.get(label);
      if (why == null) {
        why = WEIGHTED.contains(op) ? weightRefusal(n) : elementwiseRefusal(n);
      }
      if (why == null && WEIGHTED.contains(op) && !ranges.containsKey(n.getInput(0))) {
        why = "its input has no float calibration range (not a float tensor, or not reached)";
      }
      if (why != null) {
        if (WEIGHTED.contains(op) || keepFloat.containsKey(label)) {
          keptFloat.add(new Op("main", label, op, why));
        }
        continue;
      }
      selected.add(n);
      for (String in : activationInputs(n)) {
        quantized.put(in, QdqValues.params(ranges.get(in)));
      }
    }
    // then, in graph order, their outputs, and pass-through operators behind quantized tensors
    for (NodeProto n : graph.getNodeList()) {
      if (selected.contains(n)) {
        String out = quantizedOutput(n);
        // only where a quantized operator reads it: a reader kept in float (mixed precision)
        // gets the exact float tensor, at the price of this operator not fusing
        float gain = rescaleGain(n);
        if (gain > 0) {
          // y = c·x on uint8 values is x's own values read with scale c·s: no kernel runs at all
          // (a QLinearMul would dequantize, multiply and requantize every element)
          float[] in = quantized.get(activationInputs(n).get(0));
          quantized.put(out, new float[] {in[0] * gain, in[1]});
          rescales.add(n);
          converted.add(
              new Op(
                  "main",
                  OnnxGraphs.nodeLabel(n),
                  n.getOpType(),
                  "a multiplication by the constant "
                      + gain
                      + ", folded into the scale its readers dequantize with (no operator left)"));
          continue;
        }
        if (ranges.containsKey(out)
            && !graphOutputs.contains(out)
            && (readByQuantized(out) || convBeforeFloatOperators(n, out))) {
          float[] range = ranges.get(out);
          if (!out.equals(n.getOutput(0))) {
            range = new float[] {0f, range[1]}; // behind a Relu/Clip: zero point 0 drops it
          }
          quantized.put(out, QdqValues.params(range));
        }
        converted.add(new Op("main", OnnxGraphs.nodeLabel(n), n.getOpType(), description(n)));
      } else if (n.getDomain().isEmpty()
          && PASS_THROUGH.contains(n.getOpType())
          && !keepFloat.containsKey(OnnxGraphs.nodeLabel(n))
          && n.getOutputCount() == 1
          && quantized.containsKey(n.getInput(0))
          && !graphOutputs.contains(n.getOutput(0))
          && readByQuantized(n.getOutput(0))) {
        quantized.put(n.getOutput(0), quantized.get(n.getInput(0)));
        selected.add(n);
      }
    }
  }

  /**
   * The constant c when {@code n} is a selected Mul of one quantized activation by a stored
   * positive scalar c whose output every reader takes quantized (MobileNetV3's hard-swish "/ 6",
   * hard-sigmoid's slope); else 0.
   */
  private float rescaleGain(NodeProto n) {
    if (!n.getOpType().equals("Mul") || n.getInputCount() != 2) {
      return 0;
    }
    String out = n.getOutput(0);
    List<String> activations = activationInputs(n);
    if (activations.size() != 1
        || !quantized.containsKey(activations.get(0))
        || graphOutputs.contains(out)
        || !quantizedOutput(n).equals(out)) {
      return 0;
    }
    String other = n.getInput(0).equals(activations.get(0)) ? n.getInput(1) : n.getInput(0);
    TensorProto c = constants.get(other);
    if (c == null || c.getDataType() != Tensors.FLOAT || Tensors.isExternal(c)) {
      return 0;
    }
    float[] v = Tensors.floats(c);
    if (v.length != 1
        || !(v[0] > 0)
        || !Float.isFinite(v[0])
        || c.getDimsCount() > 0 && c.getDimsList().stream().anyMatch(d -> d != 1)) {
      return 0;
    }
    List<NodeProto> next = readers.getOrDefault(out, List.of());
    if (next.isEmpty() || !next.stream().allMatch(selected::contains)) {
      return 0; // a float reader needs the float tensor
    }
    return v[0];
  }

  /**
   * A Conv whose readers all stay float by their nature (no integer form here: ConvTranspose,
   * Resize), none kept float by the caller: its output is quantized anyway and the readers
   * dequantize it. Without a QuantizeLinear after it ONNX Runtime cannot fuse the Conv and runs it
   * in float on dequantized weights, not even in its NCHWc layout (PP-OCRv4's head Conv: 6.8 ms of
   * a 31 ms int8 run at 320×320, 2.2× its fp32 time). A requantized output costs a QuantizeLinear
   * and a DequantizeLinear, elementwise; a Conv's arithmetic is k²·C_in per output value. A reader
   * kept float by a mixed-precision search still gets the exact float tensor.
   */
  private boolean convBeforeFloatOperators(NodeProto n, String out) {
    List<NodeProto> next = readers.getOrDefault(out, List.of());
    return n.getOpType().equals("Conv")
        && !next.isEmpty()
        && next.stream().noneMatch(r -> keepFloat.containsKey(OnnxGraphs.nodeLabel(r)));
  }

  /** Whether a selected operator, or a pass-through one that may pass it on, reads it. */
  private boolean readByQuantized(String tensor) {
    for (NodeProto r : readers.getOrDefault(tensor, List.of())) {
      if (selected.contains(r)
          || (r.getDomain().isEmpty()
              && PASS_THROUGH.contains(r.getOpType())
              && !keepFloat.containsKey(OnnxGraphs.nodeLabel(r)))) {
        return true;
      }
    }
    return false;
  }

  /** The tensor whose QuantizeLinear ends the group: the output, or the Relu/Clip right after. */
  private String quantizedOutput(NodeProto n) {
    String out = n.getOutput(0);
    List<NodeProto> next = readers.getOrDefault(out, List.of());
    if (uses.getOrDefault(out, 0) == 1 && next.size() == 1 && !graphOutputs.contains(out)) {
      NodeProto c = next.get(0);
      boolean relu = c.getOpType().equals("Relu");
      boolean clip =
          c.getOpType().equals("Clip")
              && c.getInputList().stream()
                  .skip(1)
                  .allMatch(i -> i.isEmpty() || constants.containsKey(i));
      if (c.getDomain().isEmpty() && (relu || (clip && clipsAtZero(c)))) {
        return c.getOutput(0);
      }
    }
    return out;
  }

  /** A Clip whose lower bound is 0 (ReLU6 and the like): zero point 0 makes it redundant. */
  private boolean clipsAtZero(NodeProto clip) {
    float min;
    if (clip.getInputCount() > 1 && !clip.getInput(1).isEmpty()) {
      float[] v = Tensors.floats(constants.get(clip.getInput(1)));
      min = v.length == 1 ? v[0] : Float.NaN;
    } else {
      min = OnnxGraphs.readFloat(clip, "min", -Float.MAX_VALUE);
    }
    return min == 0f;
  }

  /** The inputs that are activations (not stored constants) and need a range. */
  private List<String> activationInputs(NodeProto n) {
    List<String> out = new ArrayList<>();
    int count = WEIGHTED.contains(n.getOpType()) ? 1 : n.getInputCount();
    for (int i = 0; i < count; i++) {
      String in = n.getInput(i);
      if (!in.isEmpty() && !constants.containsKey(in)) {
        out.add(in);
      }
    }
    return out;
  }

  /** Null when the Conv, MatMul or Gemm can be converted; else why not. */
  private String weightRefusal(NodeProto n) {
    if (n.getInputCount() < 2) {
      return "malformed";
    }
    TensorProto w = constants.get(n.getInput(1));
    String op = n.getOpType();
    String refusal = Int8DynamicQuantizer.weightRefusal(w, op.equals("Conv") ? -1 : 2);
    if (refusal != null) {
      return refusal;
    }
    if (op.equals("Gemm")
        && (OnnxGraphs.readInt(n, "transA", 0) != 0
            || OnnxGraphs.readFloat(n, "alpha", 1f) != 1f
            || OnnxGraphs.readFloat(n, "beta", 1f) != 1f)) {
      return "Gemm with transA, alpha or beta is not converted";
    }
    if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
      if (op.equals("MatMul")) {
        return "malformed";
      }
      TensorProto b = constants.get(n.getInput(2));
      if (b == null || b.getDataType() != Tensors.FLOAT || b.getDimsCount() != 1) {
        return "the bias is not a stored 1-D float32 constant";
      }
      if (b.getDims(0) != outputChannels(n, w)) {
        return "the bias does not have one value per output channel";
      }
    }
    if (constants.containsKey(n.getInput(0))) {
      return "its input is a constant";
    }
    return null;
  }

  private String elementwiseRefusal(NodeProto n) {
    if (n.getOutputCount() != 1 || !ranges.containsKey(n.getOutput(0))) {
      return "no range";
    }
    for (String in : n.getInputList()) {
      if (in.isEmpty()) {
        return "optional input";
      }
      TensorProto c = constants.get(in);
      if (c == null ? !ranges.containsKey(in) : c.getDataType() != Tensors.FLOAT) {
        return "no range";
      }
      if (c != null && !QdqValues.fitsOneScale(Tensors.floats(c))) {
        return "a constant operand spans too wide a range for one uint8 scale";
      }
    }
    return n.getOpType().equals("Concat") && n.getInputCount() < 2 ? "one input" : null;
  }

  private static long outputChannels(NodeProto n, TensorProto w) {
    return switch (n.getOpType()) {
      case "Conv" -> w.getDims(0);
      case "Gemm" -> OnnxGraphs.readInt(n, "transB", 0) != 0 ? w.getDims(0) : w.getDims(1);
      default -> w.getDims(1);
    };
  }

  // --- the rewrite -----------------------------------------------------------------------------

  private GraphProto rewrite() {
    GraphProto.Builder out = graph.toBuilder().clearNode();
    Map<String, String> quantizedName = new HashMap<>();
    for (ValueInfoProto in : graph.getInputList()) {
      if (quantized.containsKey(in.getName())) {
        out.addNode(quantize(in.getName(), quantizedName));
      }
    }
    for (NodeProto n : graph.getNodeList()) {
      if (rescales.contains(n)) {
        quantizedName.put(n.getOutput(0), quantizedName.get(activationInputs(n).get(0)));
        continue;
      }
      NodeProto.Builder b = n.toBuilder();
      if (selected.contains(n) && WEIGHTED.contains(n.getOpType())) {
        out.addAllNode(weightAndBias(n, b));
      } else if (selected.contains(n)) {
        for (int i = 0; i < n.getInputCount(); i++) {
          TensorProto c = constants.get(n.getInput(i));
          if (c != null && !PASS_THROUGH.contains(n.getOpType())) {
            out.addNode(constantInput(n, i, c, b));
          }
        }
      }
      for (int i = 0; i < n.getInputCount(); i++) {
        String in = n.getInput(i);
        String q = quantizedName.get(in);
        if (q != null) { // every reader gets its own DequantizeLinear, as the selectors require
          String dq = namer.fresh(in + "_dq");
          float[] p = quantized.get(in);
          out.addNode(
              OnnxGraphs.node(
                  "DequantizeLinear",
                  namer.fresh(in + "_dequantize"),
                  List.of(q, scaleName(in, p), zeroPointName(in, p)),
                  List.of(dq)));
          b.setInput(i, dq);
        }
      }
      out.addNode(b.build());
      for (String o : n.getOutputList()) {
        if (quantized.containsKey(o)) {
          out.addNode(quantize(o, quantizedName));
        }
      }
    }
    out.addAllInitializer(newInitializers);
    return out.build();
  }

  private final Map<String, String> scaleNames = new HashMap<>();
  private final Map<String, String> zeroPointNames = new HashMap<>();

  private String scaleName(String tensor, float[] p) {
    return scaleNames.computeIfAbsent(
        tensor,
        t -> {
          String name = namer.fresh(t + "_scale");
          newInitializers.add(Tensors.floatTensor(name, new long[0], new float[] {p[0]}));
          return name;
        });
  }

  private String zeroPointName(String tensor, float[] p) {
    return zeroPointNames.computeIfAbsent(
        tensor,
        t -> {
          String name = namer.fresh(t + "_zero_point");
          newInitializers.add(
              Tensors.uint8Tensor(name, new long[0], new byte[] {(byte) (int) p[1]}));
          return name;
        });
  }

  private NodeProto quantize(String tensor, Map<String, String> quantizedName) {
    float[] p = quantized.get(tensor);
    String q = namer.fresh(tensor + "_q");
    quantizedName.put(tensor, q);
    return OnnxGraphs.node(
        "QuantizeLinear",
        namer.fresh(tensor + "_quantize"),
        List.of(tensor, scaleName(tensor, p), zeroPointName(tensor, p)),
        List.of(q));
  }

  /** A constant input of Add/Mul/Concat: uint8 over its own range, read through a DQ. */
  private NodeProto constantInput(NodeProto n, int index, TensorProto c, NodeProto.Builder b) {
    QdqValues.Uint8 u8 = QdqValues.uint8(Tensors.floats(c));
    byte[] q = u8.values();
    float[] p = u8.params();
    String base = namer.fresh(n.getInput(index) + "_u8");
    long[] dims = c.getDimsList().stream().mapToLong(Long::longValue).toArray();
    newInitializers.add(Tensors.uint8Tensor(base, dims, q));
    String dq = namer.fresh(base + "_dq");
    b.setInput(index, dq);
    return OnnxGraphs.node(
        "DequantizeLinear",
        namer.fresh(base + "_dequantize"),
        List.of(base, scaleName(base, p), zeroPointName(base, p)),
        List.of(dq));
  }

  /**
   * The weight (int8 per channel) and bias (int32) of a Conv, MatMul or Gemm, each through a DQ.
   */
  private List<NodeProto> weightAndBias(NodeProto n, NodeProto.Builder b) {
    TensorProto w = constants.get(n.getInput(1));
    long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
    float[] values = Tensors.floats(w);
    String op = n.getOpType();
    int axis =
        op.equals("Conv") || (op.equals("Gemm") && OnnxGraphs.readInt(n, "transB", 0) != 0) ? 0 : 1;
    QdqValues.PerChannel weight = QdqValues.perChannel(values, dims, axis);
    int channels = weight.channels();
    float[] scales = weight.scales();
    byte[] q = weight.values();
    String base = namer.fresh(OnnxGraphs.nodeLabel(n).replaceAll("[^A-Za-z0-9_./-]", "_") + "_w");
    String wq = namer.fresh(base + "_int8");
    String ws = namer.fresh(base + "_scale");
    String wzp = namer.fresh(base + "_zero_point");
    String wdq = namer.fresh(base + "_dq");
    newInitializers.add(QdqValues.tensor(wq, TensorProto.DataType.INT8_VALUE, dims, q));
    newInitializers.add(Tensors.floatTensor(ws, new long[] {channels}, scales));
    newInitializers.add(
        QdqValues.tensor(
            wzp, TensorProto.DataType.INT8_VALUE, new long[] {channels}, new byte[channels]));
    List<NodeProto> nodes = new ArrayList<>();
    nodes.add(dequantize(wq, ws, wzp, wdq, axis, base));
    b.setInput(1, wdq);
    float inputScale = quantized.get(n.getInput(0))[0];
    if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
      QdqValues.Bias bias =
          QdqValues.bias(Tensors.floats(constants.get(n.getInput(2))), inputScale, scales);
      float[] bs = bias.scales();
      String bq = namer.fresh(base + "_bias_int32");
      String bsName = namer.fresh(base + "_bias_scale");
      String bzp = namer.fresh(base + "_bias_zero_point");
      String bdq = namer.fresh(base + "_bias_dq");
      newInitializers.add(
          QdqValues.tensor(
              bq, TensorProto.DataType.INT32_VALUE, new long[] {channels}, bias.raw()));
      newInitializers.add(Tensors.floatTensor(bsName, new long[] {channels}, bs));
      newInitializers.add(
          QdqValues.tensor(
              bzp,
              TensorProto.DataType.INT32_VALUE,
              new long[] {channels},
              new byte[channels * 4]));
      nodes.add(dequantize(bq, bsName, bzp, bdq, 0, base + "_bias"));
      b.setInput(2, bdq);
    }
    return nodes;
  }

  private NodeProto dequantize(
      String q, String scale, String zp, String out, int axis, String base) {
    return OnnxGraphs.node(
        "DequantizeLinear",
        namer.fresh(base + "_dequantize"),
        List.of(q, scale, zp),
        List.of(out),
        OnnxGraphs.intAttr("axis", axis));
  }

  private String description(NodeProto n) {
    String op = n.getOpType();
    String out = quantizedOutput(n);
    String tail =
        !quantized.containsKey(out)
            ? ", float output (a graph output, or read by float operators only)"
            : out.equals(n.getOutput(0))
                ? ""
                : ", its "
                    + readers.get(n.getOutput(0)).get(0).getOpType()
                    + " folded into the output's range";
    if (WEIGHTED.contains(op)) {
      return "int8 weights per output channel, uint8 activations (scale "
          + quantized.get(n.getInput(0))[0]
          + ")"
          + tail;
    }
    return "uint8 inputs and output" + tail;
  }
}
