package dev.modelfleet.onnx.compare;

/**
 * Top-k agreement: the share of rows (all axes but the last) whose reference arg-max is among the
 * candidate's k highest classes (the last axis). For k = 1 that is arg-max agreement. Ties go to
 * the lower class index on both sides; a NaN score ranks below every number.
 */
final class TopKComparator extends OutputComparator {

  private final int k;
  private long rows;
  private long agreeing;

  TopKComparator(ComparisonSpec spec) {
    super(spec);
    this.k = spec.k();
  }

  @Override
  void accumulate(float[] reference, float[] candidate, long[] shape) {
    int classes =
        shape == null || shape.length == 0 ? reference.length : (int) shape[shape.length - 1];
    if (classes == 0) {
      return;
    }
    if (classes < k) {
      throw new IllegalArgumentException(
          "top"
              + k
              + " needs at least "
              + k
              + " classes on the last axis, the output has "
              + classes);
    }
    for (int from = 0; from < reference.length; from += classes) {
      int truth = argMax(reference, from, classes);
      // the reference's class is in the candidate's top k when fewer than k classes outrank it
      float score = candidate[from + truth];
      int above = 0;
      for (int i = from; i < from + classes && above < k; i++) {
        if (outranks(candidate[i], i - from, score, truth)) {
          above++;
        }
      }
      rows++;
      if (above < k) {
        agreeing++;
      }
    }
  }

  private static boolean outranks(float a, int ai, float b, int bi) {
    if (Float.isNaN(a)) {
      return false;
    }
    if (Float.isNaN(b)) {
      return true;
    }
    return a > b || (a == b && ai < bi);
  }

  private static int argMax(float[] v, int from, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (outranks(v[from + i], i, v[from + best], best)) {
        best = i;
      }
    }
    return best;
  }

  @Override
  double current() {
    return rows == 0 ? 1 : (double) agreeing / rows;
  }
}
