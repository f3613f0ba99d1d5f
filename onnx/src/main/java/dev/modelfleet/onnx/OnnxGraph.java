package dev.modelfleet.onnx;

import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX graph that estimating its cost needs: nodes, the element count of every
 * stored tensor, and declared shapes; subgraphs (If, Loop, Scan bodies) hang off their node. Tensor
 * contents are never held.
 *
 * @param constantSizes initializer name → element count
 * @param shapes value name → declared dimensions, -1 where symbolic
 */
public record OnnxGraph(
    List<Node> nodes, Map<String, Long> constantSizes, Map<String, List<Long>> shapes) {

  /**
   * @param tensorAttributes attribute name → element count of the tensor it holds (a Constant's
   *     {@code value}, say)
   */
  public record Node(
      String opType,
      String domain,
      List<String> inputs,
      List<String> outputs,
      Map<String, Long> tensorAttributes,
      List<OnnxGraph> subgraphs) {}

  static final OnnxGraph EMPTY = new OnnxGraph(List.of(), Map.of(), Map.of());
}
