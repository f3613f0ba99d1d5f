package dev.modelfleet.onnx.compare;

/**
 * Cosine similarity of all values of all samples taken as one vector (so a sample with large values
 * weighs more, as it did before comparators could be chosen). Both all-zero is agreement (1), one
 * all-zero is none (0), and a NaN or infinity anywhere is none either.
 */
final class CosineComparator extends OutputComparator {

  private double dot;
  private double referenceNorm;
  private double candidateNorm;

  CosineComparator(ComparisonSpec spec) {
    super(spec);
  }

  @Override
  void accumulate(float[] reference, float[] candidate, long[] shape) {
    for (int i = 0; i < reference.length; i++) {
      double a = reference[i];
      double b = candidate[i];
      dot += a * b;
      referenceNorm += a * a;
      candidateNorm += b * b;
    }
  }

  @Override
  double current() {
    if (referenceNorm == 0 && candidateNorm == 0) {
      return 1;
    }
    if (referenceNorm == 0 || candidateNorm == 0) {
      return 0;
    }
    double cosine = dot / Math.sqrt(referenceNorm * candidateNorm);
    // rounding can put identical vectors a hair above 1
    return Double.isFinite(cosine) ? Math.min(1, Math.max(-1, cosine)) : 0;
  }
}
