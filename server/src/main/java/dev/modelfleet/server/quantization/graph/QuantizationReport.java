package dev.modelfleet.server.quantization.graph;

import java.util.ArrayList;
import java.util.List;

/**
 * What a derivation changed: the operators converted and those left in float, each with the reason,
 * so the operator can see why a variant is not smaller; {@code notes}: what it took to make ONNX
 * Runtime load and measure the variant (an operator kept in float32 because a graph optimisation
 * broke on it, a lowered optimisation level), empty when nothing did.
 */
public record QuantizationReport(List<Op> converted, List<Op> keptFloat, List<String> notes) {

  public QuantizationReport {
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  public QuantizationReport(List<Op> converted, List<Op> keptFloat) {
    this(converted, keptFloat, List.of());
  }

  public QuantizationReport withNote(String note) {
    List<String> more = new ArrayList<>(notes);
    more.add(note);
    return new QuantizationReport(converted, keptFloat, more);
  }

  /** {@code graph}: "main" or the path of the subgraph (e.g. "main/If_0.then_branch"). */
  public record Op(String graph, String node, String opType, String reason) {}
}
