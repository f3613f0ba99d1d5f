package dev.modelfleet.server.rollout;

import dev.modelfleet.onnx.compare.Comparators;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.TensorSpecInfo;
import dev.modelfleet.server.model.Variant;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses, at creation, a shadow phase whose comparison fits none of the version's outputs (e.g.
 * top-1 agreement on a model whose outputs are not class scores): its devices could never produce
 * evidence, and the phase would only time out.
 */
final class ShadowApplicability {

  private ShadowApplicability() {}

  static void check(RolloutPlan.ShadowPhase shadow, ModelVersion version) {
    if (shadow == null) {
      return;
    }
    ComparisonSpec spec = ComparisonSpec.parse(shadow.comparison());
    List<String> reasons = new ArrayList<>();
    for (Variant variant : Variant.ofVersion(version)) {
      for (TensorSpecInfo output : variant.outputs) {
        long[] shape = output.shape().stream().mapToLong(Long::longValue).toArray();
        String why = Comparators.whyNotApplicable(spec, shape, output.type());
        if (why == null) {
          return; // one comparable output is enough evidence
        }
        reasons.add("output '" + output.name() + "' " + output.shape() + ": " + why);
      }
    }
    throw ApiError.INVALID_ROLLOUT_PLAN.exception(
        "shadow: the comparison \""
            + shadow.comparison()
            + "\" cannot compare any output of "
            + version.model.name
            + " "
            + version.version
            + " ("
            + String.join("; ", reasons)
            + "). Name a comparison that fits its outputs, e.g. \"cosine>=0.99\".");
  }
}
