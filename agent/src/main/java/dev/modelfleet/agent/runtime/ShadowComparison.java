package dev.modelfleet.agent.runtime;

import dev.modelfleet.onnx.compare.Comparators;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.onnx.compare.OutputComparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares a candidate's outputs with the serving model's, one comparator per output name, over
 * every sample so far. Only the shadow worker adds; heartbeats read, so both are synchronized (a
 * heartbeat every few seconds costs the worker nothing noticeable).
 */
final class ShadowComparison {

  private final ComparisonSpec spec;
  private final String text;
  private final Map<String, OutputComparator> perOutput = new LinkedHashMap<>();
  private String notApplicable = "";

  /**
   * @throws IllegalArgumentException when {@code comparison} is not a comparison spec
   */
  ShadowComparison(String comparison) {
    this.text = comparison;
    this.spec = ComparisonSpec.parse(comparison);
  }

  String text() {
    return text;
  }

  /**
   * Adds one sample. Returns null when the outputs could be compared, else why not (a missing
   * output or a different shape: the candidate answered something the serving model did not).
   */
  synchronized String add(List<Tensor> serving, List<Tensor> candidate) {
    for (Tensor reference : serving) {
      Tensor other = find(candidate, reference.name());
      if (other == null) {
        return "the candidate has no output '" + reference.name() + "'";
      }
      if (!java.util.Arrays.equals(reference.shape(), other.shape())) {
        return "output '"
            + reference.name()
            + "' has shape "
            + java.util.Arrays.toString(other.shape())
            + " on the candidate, "
            + java.util.Arrays.toString(reference.shape())
            + " on the serving model";
      }
      float[] expected = floats(reference.data());
      float[] actual = floats(other.data());
      if (expected == null || actual == null) {
        continue; // strings or booleans: nothing a numeric comparator can say
      }
      OutputComparator comparator = perOutput.get(reference.name());
      if (comparator == null) {
        String why = Comparators.whyNotApplicable(spec, reference.shape());
        if (why != null) {
          notApplicable = "output '" + reference.name() + "': " + why;
          continue;
        }
        comparator = OutputComparator.of(spec);
        perOutput.put(reference.name(), comparator);
      }
      comparator.add(expected, actual, reference.shape());
    }
    return null;
  }

  /** The figure of the first output that fails the spec, else of the first output compared. */
  synchronized Verdict verdict() {
    OutputComparator shown = null;
    boolean passes = true;
    for (OutputComparator comparator : perOutput.values()) {
      if (comparator.samples() == 0) {
        continue;
      }
      if (!comparator.passes()) {
        if (passes) {
          shown = comparator;
        }
        passes = false;
      } else if (shown == null) {
        shown = comparator;
      }
    }
    return shown == null
        ? new Verdict(0, false, notApplicable)
        : new Verdict(shown.value(), passes, notApplicable);
  }

  record Verdict(double value, boolean passes, String notApplicable) {}

  private static Tensor find(List<Tensor> tensors, String name) {
    for (Tensor t : tensors) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }

  /** The data as floats, or null for a type that is not numeric. */
  static float[] floats(Object data) {
    if (data instanceof float[] f) {
      return f;
    }
    if (data instanceof double[] d) {
      float[] out = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        out[i] = (float) d[i];
      }
      return out;
    }
    if (data instanceof long[] l) {
      float[] out = new float[l.length];
      for (int i = 0; i < l.length; i++) {
        out[i] = l[i];
      }
      return out;
    }
    if (data instanceof int[] n) {
      float[] out = new float[n.length];
      for (int i = 0; i < n.length; i++) {
        out[i] = n[i];
      }
      return out;
    }
    if (data instanceof short[] s) {
      float[] out = new float[s.length];
      for (int i = 0; i < s.length; i++) {
        out[i] = s[i];
      }
      return out;
    }
    if (data instanceof byte[] b) {
      float[] out = new float[b.length];
      for (int i = 0; i < b.length; i++) {
        out[i] = b[i];
      }
      return out;
    }
    return null;
  }
}
