package dev.modelfleet.onnx.compare;

/**
 * Intersection over union of the two outputs binarized at the threshold ({@code value >
 * threshold}), pooled over all samples: the values above it in both, over those above it in either.
 * Two maps empty everywhere agree (1). A NaN is never above the threshold.
 */
final class IouComparator extends OutputComparator {

  private final double threshold;
  private long intersection;
  private long union;

  IouComparator(ComparisonSpec spec) {
    super(spec);
    this.threshold = spec.threshold();
  }

  @Override
  void accumulate(float[] reference, float[] candidate, long[] shape) {
    for (int i = 0; i < reference.length; i++) {
      boolean a = reference[i] > threshold;
      boolean b = candidate[i] > threshold;
      if (a && b) {
        intersection++;
      }
      if (a || b) {
        union++;
      }
    }
  }

  @Override
  double current() {
    return union == 0 ? 1 : (double) intersection / union;
  }
}
