package dev.modelfleet.server.model;

import dev.modelfleet.onnx.OnnxGraph;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Estimates the multiply-accumulates of one inference (batch 1) from the ONNX graph, split by the
 * benchmark kernel that measures them. Counted: the weights (initializers or Constant outputs, also
 * behind DequantizeLinear/Transpose/Reshape/Cast/Identity) of MatMul-like nodes once, and of
 * Conv-like nodes once per output position when the graph declares the output's shape (otherwise
 * once: a lower bound). Subgraphs (If/Loop/Scan bodies) count once. Products of two activations
 * (attention scores) have no weight and are not counted.
 */
@ApplicationScoped
public class CostEstimator {

  /** Multiply-accumulates per inference measured by the "matmul" and "conv" benchmark kernels. */
  public record Cost(long matmulMacs, long convMacs) {
    public static final Cost UNKNOWN = new Cost(0, 0);

    public long total() {
      return matmulMacs + convMacs;
    }
  }

  /** Op type → index of its weight input; -1: whichever input is constant. */
  private static final Map<String, Integer> MATMUL_WEIGHT =
      Map.of(
          "MatMul",
          -1,
          "Gemm",
          1,
          "MatMulInteger",
          1,
          "QLinearMatMul",
          3,
          "FusedMatMul",
          -1,
          "DynamicQuantizeMatMul",
          1,
          "MatMulIntegerToFloat",
          1);

  private static final Map<String, Integer> CONV_WEIGHT =
      Map.of("Conv", 1, "ConvInteger", 1, "QLinearConv", 3, "ConvTranspose", 1, "FusedConv", 1);

  /** Ops between a stored weight and the node using it that keep its element count. */
  private static final Set<String> PASS_THROUGH =
      Set.of("DequantizeLinear", "Transpose", "Reshape", "Cast", "Identity", "QuantizeLinear");

  /** The estimate from the graph summary the safety check read (no second read of the file). */
  public Cost estimate(OnnxGraph graph) {
    try {
      return estimate(graph, Map.of(), Map.of());
    } catch (ArithmeticException e) {
      // more multiply-accumulates than a long counts: no estimate, and the matcher ranks the
      // variant by trials only
      return Cost.UNKNOWN;
    }
  }

  private static Cost estimate(
      OnnxGraph graph,
      Map<String, Long> outerConstants,
      Map<String, OnnxGraph.Node> outerProducers) {
    Map<String, Long> constants = new HashMap<>(outerConstants);
    constants.putAll(graph.constantSizes());
    Map<String, OnnxGraph.Node> producers = new HashMap<>(outerProducers);
    for (OnnxGraph.Node node : graph.nodes()) {
      if (node.opType().equals("Constant") && !node.outputs().isEmpty()) {
        constants.put(node.outputs().get(0), node.tensorAttributes().getOrDefault("value", 1L));
      }
      node.outputs().forEach(o -> producers.put(o, node));
    }
    long matmul = 0;
    long conv = 0;
    for (OnnxGraph.Node node : graph.nodes()) {
      Integer mm = MATMUL_WEIGHT.get(node.opType());
      Integer cv = CONV_WEIGHT.get(node.opType());
      if (mm != null) {
        matmul = Math.addExact(matmul, weight(node, mm, constants, producers));
      } else if (cv != null) {
        long positions = outputPositions(node, graph.shapes());
        conv =
            Math.addExact(
                conv, Math.multiplyExact(weight(node, cv, constants, producers), positions));
      }
      for (OnnxGraph sub : node.subgraphs()) {
        Cost inner = estimate(sub, constants, producers);
        matmul = Math.addExact(matmul, inner.matmulMacs());
        conv = Math.addExact(conv, inner.convMacs());
      }
    }
    return new Cost(matmul, conv);
  }

  private static long weight(
      OnnxGraph.Node node,
      int index,
      Map<String, Long> constants,
      Map<String, OnnxGraph.Node> producers) {
    if (index >= 0) {
      return index < node.inputs().size()
          ? constantSize(node.inputs().get(index), constants, producers, 0)
          : 0;
    }
    long largest = 0;
    for (String input : node.inputs()) {
      largest = Math.max(largest, constantSize(input, constants, producers, 0));
    }
    return largest;
  }

  private static long constantSize(
      String name, Map<String, Long> constants, Map<String, OnnxGraph.Node> producers, int depth) {
    Long size = constants.get(name);
    if (size != null) {
      return size;
    }
    OnnxGraph.Node producer = producers.get(name);
    if (producer == null
        || depth > 8
        || !PASS_THROUGH.contains(producer.opType())
        || producer.inputs().isEmpty()) {
      return 0;
    }
    return constantSize(producer.inputs().get(0), constants, producers, depth + 1);
  }

  /** Output positions (product of the spatial dims) when declared, else 1. */
  private static long outputPositions(OnnxGraph.Node node, Map<String, List<Long>> shapes) {
    List<Long> dims = node.outputs().isEmpty() ? null : shapes.get(node.outputs().get(0));
    if (dims == null || dims.size() < 3) {
      return 1;
    }
    long positions = 1;
    for (long d : dims.subList(2, dims.size())) {
      if (d <= 0) {
        return 1;
      }
      positions = Math.multiplyExact(positions, d);
    }
    return positions;
  }
}
