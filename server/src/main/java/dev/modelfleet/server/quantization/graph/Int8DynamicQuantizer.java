package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import dev.modelfleet.server.quantization.graph.QuantizationReport.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * int8 dynamic quantization with standard ONNX operators only, so any runtime with opset 11 runs
 * the result: weights of MatMul, Gemm and Conv are stored as uint8, activations are quantized at
 * run time by DynamicQuantizeLinear, and the integer product (MatMulInteger, ConvInteger) is scaled
 * back to float.
 *
 * <p>Weights are quantized symmetrically per output channel around the fixed zero point 128. One
 * zero point for all channels is what lets per-channel scales work with ConvInteger, whose ONNX
 * Runtime kernel accepts only a scalar weight zero point: the integer product does not depend on
 * the scale, so each channel's scale is applied afterwards, in float.
 *
 * <p>Weights are found wherever they live: graph initializers, Constant nodes (the PaddleOCR
 * classifier has no initializers) and the subgraphs of If/Loop/Scan (silero VAD keeps its whole
 * network there), with names visible from enclosing graphs.
 *
 * <p>Over 400 lines on purpose: one rewrite whose steps (finding weights in scope, MatMul, Gemm and
 * Conv into integer products, the report) share one namer, one use count and one report. The parts
 * that stand alone live beside it: {@link BatchNormFolding}, {@link Int8Weight}, {@link
 * OpsetUpgrade}.
 */
public final class Int8DynamicQuantizer {

  private static final int ZERO_POINT = 128;

  /** DynamicQuantizeLinear arrived in opset 11. */
  public static final long MIN_OPSET = 11;

  /** Operators that carry weights but have no dynamic int8 form in the standard domain. */
  private static final Map<String, String> NO_INT8_FORM =
      Map.of(
          "LSTM",
              "no int8 LSTM in the standard ONNX domain (only com.microsoft.DynamicQuantizeLSTM)",
          "GRU", "no int8 GRU in the standard ONNX domain",
          "RNN", "no int8 RNN in the standard ONNX domain",
          "ConvTranspose", "no integer ConvTranspose operator in ONNX",
          "Attention", "contrib attention is left to ONNX Runtime's own optimizer");

  private final List<Op> converted = new ArrayList<>();
  private final Map<String, Integer> uses = new HashMap<>();
  private Map<String, float[]> ranges = Map.of();
  private final List<Op> keptFloat = new ArrayList<>();
  private Namer namer;
  private BatchNormFolding batchNorms;

  public record Result(ModelProto model, QuantizationReport report) {}

  public static Result quantize(ModelProto model) {
    return quantize(model, Map.of());
  }

  /**
   * With {@code ranges} (activation name → [scale, zero point], from {@link Int8StaticQuantizer}),
   * an operator whose input has a range quantizes it with a constant QuantizeLinear instead of
   * DynamicQuantizeLinear: int8 static. The others stay dynamic, and the report says which.
   */
  static Result quantize(ModelProto model, Map<String, float[]> ranges) {
    Int8DynamicQuantizer q = new Int8DynamicQuantizer();
    q.ranges = ranges;
    q.namer = new Namer(OnnxGraphs.allNames(model.getGraph()));
    countUses(model.getGraph(), q.uses);
    q.batchNorms = new BatchNormFolding(q.namer, q.uses, q.converted);
    GraphProto graph = q.rewrite(model.getGraph(), Map.of(), "main");
    graph = OnnxGraphs.pruneUnusedConstants(graph, OnnxGraphs.usedNames(graph));
    ModelProto.Builder out = model.toBuilder().setGraph(graph);
    if (!q.converted.isEmpty()) {
      // judged on the original: the operators just added are of the new opset by construction
      String refusal = OpsetUpgrade.refusal(model, MIN_OPSET);
      if (refusal != null) {
        throw new DerivationException(refusal);
      }
      OpsetUpgrade.raise(out, MIN_OPSET);
    }
    return new Result(
        out.build(), new QuantizationReport(List.copyOf(q.converted), List.copyOf(q.keptFloat)));
  }

  /**
   * How many MatMul, Gemm and Conv nodes have a stored float32 weight of a usable rank; 0 means
   * int8 gains nothing. A cheap scan (no rewriting), since a request waits for it.
   */
  public static int quantizableCount(ModelProto model) {
    Map<String, TensorProto> constants = new HashMap<>();
    OnnxGraphs.forEachNode(
        model.getGraph(),
        n -> {
          if (OnnxGraphs.isConstantNode(n)) {
            constants.put(n.getOutput(0), n.getAttribute(0).getT());
          }
        });
    OnnxGraphs.forEachConstant(
        model.getGraph(),
        t -> {
          if (!t.getName().isEmpty()) {
            constants.putIfAbsent(t.getName(), t);
          }
        });
    int[] count = {0};
    OnnxGraphs.forEachNode(
        model.getGraph(),
        n -> {
          if (!n.getDomain().isEmpty() || n.getInputCount() < 2) {
            return;
          }
          int rank =
              switch (n.getOpType()) {
                case "MatMul", "Gemm" -> 2;
                case "Conv" -> -1;
                default -> 0;
              };
          if (rank != 0 && weightRefusal(constants.get(n.getInput(1)), rank) == null) {
            count[0]++;
          }
        });
    return count[0];
  }

  private GraphProto rewrite(GraphProto graph, Map<String, TensorProto> outer, String path) {
    Map<String, TensorProto> scope = new HashMap<>(outer);
    graph.getInitializerList().forEach(t -> scope.put(t.getName(), t));
    for (NodeProto n : graph.getNodeList()) {
      if (OnnxGraphs.isConstantNode(n)) {
        scope.put(n.getOutput(0), n.getAttribute(0).getT());
      }
    }
    GraphProto.Builder out = graph.toBuilder().clearNode();
    for (NodeProto original : batchNorms.apply(graph.getNodeList(), scope, path)) {
      NodeProto node =
          OnnxGraphs.mapSubgraphs(
              original,
              g ->
                  rewrite(
                      g, scope, path + "/" + OnnxGraphs.nodeLabel(original) + "." + g.getName()));
      List<NodeProto> replacement =
          switch (node.getDomain().isEmpty() ? node.getOpType() : "") {
            case "MatMul" -> matMul(node, scope, path);
            case "Gemm" -> gemm(node, scope, path);
            case "Conv" -> conv(node, scope, path);
            default -> {
              String why = node.getDomain().isEmpty() ? NO_INT8_FORM.get(node.getOpType()) : null;
              if (why != null) {
                keptFloat.add(new Op(path, OnnxGraphs.nodeLabel(node), node.getOpType(), why));
              }
              yield null;
            }
          };
      out.addAllNode(replacement == null ? List.of(node) : replacement);
    }
    return out.build();
  }

  private List<NodeProto> matMul(NodeProto node, Map<String, TensorProto> scope, String path) {
    TensorProto w = scope.get(node.getInput(1));
    String refusal = weightRefusal(w, 2);
    if (refusal != null) {
      return keep(node, path, refusal);
    }
    float[] values = Tensors.floats(w);
    int k = (int) w.getDims(0);
    int n = (int) w.getDims(1);
    return integerProduct(
        new IntegerProduct(
            node,
            path,
            "MatMulInteger",
            Int8Weight.channelsLast(values, k, n),
            null,
            1f,
            List.of()));
  }

  private List<NodeProto> gemm(NodeProto node, Map<String, TensorProto> scope, String path) {
    if (OnnxGraphs.readInt(node, "transA", 0) != 0) {
      return keep(node, path, "transA=1 is not supported");
    }
    float beta = OnnxGraphs.readFloat(node, "beta", 1f);
    boolean hasBias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
    if (hasBias && beta != 1f) {
      return keep(node, path, "beta other than 1 is not supported");
    }
    TensorProto w = scope.get(node.getInput(1));
    String refusal = weightRefusal(w, 2);
    if (refusal != null) {
      return keep(node, path, refusal);
    }
    float[] values = Tensors.floats(w);
    int rows = (int) w.getDims(0);
    int cols = (int) w.getDims(1);
    boolean transB = OnnxGraphs.readInt(node, "transB", 0) != 0;
    int k = transB ? cols : rows;
    int n = transB ? rows : cols;
    if (transB) {
      float[] t = new float[values.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          t[c * rows + r] = values[r * cols + c];
        }
      }
      values = t;
    }
    return integerProduct(
        new IntegerProduct(
            node,
            path,
            "MatMulInteger",
            Int8Weight.channelsLast(values, k, n),
            hasBias ? node.getInput(2) : null,
            OnnxGraphs.readFloat(node, "alpha", 1f),
            List.of()));
  }

  private List<NodeProto> conv(NodeProto node, Map<String, TensorProto> scope, String path) {
    TensorProto w = scope.get(node.getInput(1));
    String refusal = weightRefusal(w, -1);
    if (refusal != null) {
      return keep(node, path, refusal);
    }
    String bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty() ? node.getInput(2) : null;
    if (bias != null && !scope.containsKey(bias)) {
      return keep(node, path, "the bias is computed, not a stored constant");
    }
    float[] values = Tensors.floats(w);
    long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
    return integerProduct(
        new IntegerProduct(
            node,
            path,
            "ConvInteger",
            new Int8Weight(values, dims, (int) dims[0], true),
            bias,
            1f,
            node.getAttributeList()));
  }

  /**
   * One MatMul, Gemm or Conv ({@code node}, in the graph at {@code path}) to replace by the integer
   * operator {@code op} ("MatMulInteger", "ConvInteger") over its first input and {@code weight};
   * {@code bias} (a name, or null) is added and {@code alpha} multiplied in float afterwards, and
   * {@code attributes} carry over to the integer operator (Conv's strides, pads, group).
   */
  private record IntegerProduct(
      NodeProto node,
      String path,
      String op,
      Int8Weight weight,
      String bias,
      float alpha,
      List<AttributeProto> attributes) {}

  /**
   * DynamicQuantizeLinear(x) → integer op with the uint8 weight → Cast to float → times (x_scale ·
   * w_scale[channel] · alpha) → plus bias. Channels are the last weight axis for MatMul and the
   * first for Conv.
   */
  private List<NodeProto> integerProduct(IntegerProduct product) {
    NodeProto node = product.node();
    String path = product.path();
    String op = product.op();
    String x = node.getInput(0);
    String output = node.getOutput(0);
    String bias = product.bias();
    long[] dims = product.weight().dims();
    int channels = product.weight().channels();
    boolean channelsFirst = product.weight().channelsFirst();
    Int8Weight.Quantized quantized = product.weight().quantize(ZERO_POINT);
    float[] scales = quantized.scales();
    byte[] q = quantized.uint8();
    float[] outScale = new float[channels];
    for (int c = 0; c < channels; c++) {
      outScale[c] = scales[c] * product.alpha();
    }
    // per-channel factors broadcast over [N, C, spatial...] (Conv) or [..., N] (MatMul)
    long[] scaleDims = new long[channelsFirst ? dims.length - 1 : 1];
    java.util.Arrays.fill(scaleDims, 1);
    scaleDims[0] = channels;

    // short generated names: a real model has dozens of these blocks and long names add up
    String base = "q" + converted.size();
    String wq = namer.fresh(base + "_w_uint8");
    String wzp = namer.fresh(base + "_w_zero_point");
    String ws = namer.fresh(base + "_w_scale");
    String xq = namer.fresh(base + "_x_uint8");
    String xs = namer.fresh(base + "_x_scale");
    String xzp = namer.fresh(base + "_x_zero_point");
    String acc = namer.fresh(base + "_int32");
    String accF = namer.fresh(base + "_int32_float");
    String scale = namer.fresh(base + "_scale");
    String scaled = bias == null ? output : namer.fresh(base + "_unbiased");

    List<NodeProto> nodes = new ArrayList<>();
    nodes.add(OnnxGraphs.constant(wq, Tensors.uint8Tensor(wq, dims, q)));
    nodes.add(
        OnnxGraphs.constant(
            wzp, Tensors.uint8Tensor(wzp, new long[0], new byte[] {(byte) ZERO_POINT})));
    nodes.add(OnnxGraphs.constant(ws, Tensors.floatTensor(ws, scaleDims, outScale)));
    float[] range = path.equals("main") ? ranges.get(x) : null;
    if (range == null) {
      nodes.add(
          OnnxGraphs.node(
              "DynamicQuantizeLinear",
              namer.fresh(base + "_quantize"),
              List.of(x),
              List.of(xq, xs, xzp)));
    } else { // calibrated: constant scale and zero point
      nodes.add(
          OnnxGraphs.constant(xs, Tensors.floatTensor(xs, new long[0], new float[] {range[0]})));
      nodes.add(
          OnnxGraphs.constant(
              xzp, Tensors.uint8Tensor(xzp, new long[0], new byte[] {(byte) range[1]})));
      nodes.add(
          OnnxGraphs.node(
              "QuantizeLinear", namer.fresh(base + "_quantize"), List.of(x, xs, xzp), List.of(xq)));
    }
    NodeProto.Builder integer =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(namer.fresh(base + "_" + op))
            .addAllInput(List.of(xq, wq, xzp, wzp))
            .addOutput(acc);
    product.attributes().forEach(integer::addAttribute);
    nodes.add(integer.build());
    nodes.add(
        OnnxGraphs.node(
            "Cast",
            namer.fresh(base + "_to_float"),
            List.of(acc),
            List.of(accF),
            OnnxGraphs.intAttr("to", Tensors.FLOAT)));
    nodes.add(
        OnnxGraphs.node("Mul", namer.fresh(base + "_scales"), List.of(xs, ws), List.of(scale)));
    nodes.add(
        OnnxGraphs.node(
            "Mul", namer.fresh(base + "_rescale"), List.of(accF, scale), List.of(scaled)));
    if (bias != null) {
      String b = bias;
      if (channelsFirst) { // Conv bias [M] → [M, 1, ...] to broadcast over the spatial axes
        b = namer.fresh(base + "_bias_shape");
        nodes.add(
            OnnxGraphs.constant(
                b,
                Tensors.int64Tensor(
                    b,
                    new long[] {scaleDims.length},
                    java.util.stream.IntStream.range(0, scaleDims.length)
                        .mapToLong(i -> i == 0 ? -1 : 1)
                        .toArray())));
        String reshaped = namer.fresh(base + "_bias");
        nodes.add(
            OnnxGraphs.node(
                "Reshape",
                namer.fresh(base + "_bias_reshape"),
                List.of(bias, b),
                List.of(reshaped)));
        b = reshaped;
      }
      nodes.add(
          OnnxGraphs.node(
              "Add", namer.fresh(base + "_add_bias"), List.of(scaled, b), List.of(output)));
    }
    converted.add(
        new Op(
            path,
            OnnxGraphs.nodeLabel(node),
            node.getOpType(),
            "uint8 weights "
                + java.util.Arrays.toString(dims)
                + " per channel, activations by "
                + (range == null
                    ? "DynamicQuantizeLinear"
                    : "QuantizeLinear with calibrated scale " + range[0])
                + ", "
                + op));
    return nodes;
  }

  static void countUses(GraphProto graph, Map<String, Integer> uses) {
    graph.getOutputList().forEach(v -> uses.merge(v.getName(), 1, Integer::sum));
    for (NodeProto n : graph.getNodeList()) {
      n.getInputList().forEach(i -> uses.merge(i, 1, Integer::sum));
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          countUses(a.getG(), uses);
        }
        a.getGraphsList().forEach(g -> countUses(g, uses));
      }
    }
  }

  /** Null when {@code w} is a float constant of the wanted rank (-1: Conv, rank ≥ 3). */
  static String weightRefusal(TensorProto w, int rank) {
    if (w == null) {
      return "the weight is computed, not a stored constant";
    }
    if (w.getDataType() != Tensors.FLOAT) {
      return "the weight is not float32";
    }
    if (rank > 0 ? w.getDimsCount() != rank : w.getDimsCount() < 3) {
      return "weight rank " + w.getDimsCount() + " is not supported";
    }
    if (Tensors.elements(w) < 0) {
      return "the weight declares impossible dims " + w.getDimsList();
    }
    if (w.getDims(0) == 0) {
      return "the weight is empty";
    }
    return null;
  }

  private List<NodeProto> keep(NodeProto node, String path, String reason) {
    keptFloat.add(new Op(path, OnnxGraphs.nodeLabel(node), node.getOpType(), reason));
    return null;
  }
}
