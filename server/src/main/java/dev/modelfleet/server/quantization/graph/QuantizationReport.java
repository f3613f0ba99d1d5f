package dev.modelfleet.server.quantization.graph;

import java.util.List;

/**
 * What a derivation changed: the operators converted and those left in float, each with the reason,
 * so the operator can see why a variant is not smaller.
 */
public record QuantizationReport(List<Op> converted, List<Op> keptFloat) {

  /** {@code graph}: "main" or the path of the subgraph (e.g. "main/If_0.then_branch"). */
  public record Op(String graph, String node, String opType, String reason) {}
}
