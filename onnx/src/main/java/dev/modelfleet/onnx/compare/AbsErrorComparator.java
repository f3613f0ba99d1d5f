package dev.modelfleet.onnx.compare;

/**
 * The largest or the mean absolute difference over all values of all samples; a NaN on either side
 * counts as an infinite error, so it can never pass.
 */
final class AbsErrorComparator extends OutputComparator {

  private final boolean max;
  private double largest;
  private double sum;
  private long count;

  AbsErrorComparator(ComparisonSpec spec, boolean max) {
    super(spec);
    this.max = max;
  }

  @Override
  void accumulate(float[] reference, float[] candidate, long[] shape) {
    for (int i = 0; i < reference.length; i++) {
      double d = Math.abs((double) reference[i] - candidate[i]);
      if (Double.isNaN(d)) {
        d = Double.POSITIVE_INFINITY;
      }
      largest = Math.max(largest, d);
      sum += d;
    }
    count += reference.length;
  }

  @Override
  double current() {
    if (max) {
      return largest;
    }
    return count == 0 ? 0 : sum / count;
  }
}
