package dev.modelfleet.onnx.compare;

/**
 * Compares one output of a candidate model with the same output of a reference model, sample by
 * sample, and keeps only running totals: {@link #value()} is the figure over all samples added so
 * far, judged against its {@link ComparisonSpec}. Not thread-safe; one per output and comparison.
 */
public abstract class OutputComparator {

  private final ComparisonSpec spec;
  private long samples;

  OutputComparator(ComparisonSpec spec) {
    this.spec = spec;
  }

  /** A fresh comparator for {@code spec}, with no samples. */
  public static OutputComparator of(ComparisonSpec spec) {
    return switch (spec.metric()) {
      case COSINE -> new CosineComparator(spec);
      case MAXABS -> new AbsErrorComparator(spec, true);
      case MEANABS -> new AbsErrorComparator(spec, false);
      case TOPK -> new TopKComparator(spec);
      case FLIPS -> new FlipsComparator(spec);
      case IOU -> new IouComparator(spec);
    };
  }

  public ComparisonSpec spec() {
    return spec;
  }

  /**
   * Adds one sample: the same output of the reference and the candidate for the same input.
   *
   * @param shape the output's actual shape for this sample; top-k reads its last axis as the
   *     classes and the rest as rows; null reads the values as one row
   * @throws IllegalArgumentException when the two outputs differ in length or do not fit the shape
   */
  public final void add(float[] reference, float[] candidate, long[] shape) {
    if (reference.length != candidate.length) {
      throw new IllegalArgumentException(
          "the candidate's output has "
              + candidate.length
              + " values where the reference's has "
              + reference.length);
    }
    if (shape != null && elements(shape) != reference.length) {
      throw new IllegalArgumentException(
          "an output of shape "
              + java.util.Arrays.toString(shape)
              + " cannot have "
              + reference.length
              + " values");
    }
    accumulate(reference, candidate, shape);
    samples++;
  }

  abstract void accumulate(float[] reference, float[] candidate, long[] shape);

  /** The figure over all samples added; NaN when none was. */
  public final double value() {
    return samples == 0 ? Double.NaN : current();
  }

  abstract double current();

  public final long samples() {
    return samples;
  }

  /** Whether at least one sample was added and the figure meets the spec's bound. */
  public final boolean passes() {
    return samples > 0 && spec.floorMet(value());
  }

  @Override
  public String toString() {
    return spec.measure() + "=" + value() + " over " + samples + " samples (" + spec + ")";
  }

  static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        return -1;
      }
      n *= d;
    }
    return n;
  }
}
