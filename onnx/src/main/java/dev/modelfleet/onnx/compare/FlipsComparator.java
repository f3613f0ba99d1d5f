package dev.modelfleet.onnx.compare;

/**
 * Decision flips: the share of values that are above the threshold in one output and not in the
 * other ({@code value > threshold} is the positive decision), over all values of all samples. A NaN
 * is never above the threshold.
 */
final class FlipsComparator extends OutputComparator {

  private final double threshold;
  private long flipped;
  private long count;

  FlipsComparator(ComparisonSpec spec) {
    super(spec);
    this.threshold = spec.threshold();
  }

  @Override
  void accumulate(float[] reference, float[] candidate, long[] shape) {
    for (int i = 0; i < reference.length; i++) {
      if ((reference[i] > threshold) != (candidate[i] > threshold)) {
        flipped++;
      }
    }
    count += reference.length;
  }

  @Override
  double current() {
    return count == 0 ? 0 : (double) flipped / count;
  }
}
