package dev.modelfleet.onnx.compare;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which comparisons fit an output: the check an API runs before it accepts an operator's choice,
 * and the choice made when the operator names none.
 */
public final class Comparators {

  /** An output is read as class scores when its last axis has between 2 and this many entries. */
  public static final int MAX_CLASSES = ComparisonSpec.MAX_K;

  private static final Set<String> FLOAT_TYPES = Set.of("float", "float16", "bfloat16", "double");
  private static final Set<String> NON_NUMERIC = Set.of("string", "bool");

  private Comparators() {}

  /**
   * Null when {@code spec} can judge an output of this declared shape, else why not, in words an
   * API can return as they are.
   *
   * @param shape declared dimensions, -1 (or any negative) where symbolic; null when unknown
   */
  public static String whyNotApplicable(ComparisonSpec spec, long[] shape) {
    return whyNotApplicable(spec, shape, null);
  }

  /**
   * As {@link #whyNotApplicable(ComparisonSpec, long[])}, also checking the element type.
   *
   * @param elementType the ONNX element type, as ONNX Runtime ({@code FLOAT}), the ONNX text format
   *     ({@code tensor(float)}) or NumPy ({@code float32}) names it; null when unknown
   */
  public static String whyNotApplicable(ComparisonSpec spec, long[] shape, String elementType) {
    String type = normalized(elementType);
    if (type != null && NON_NUMERIC.contains(type)) {
      return spec.measure() + " compares numbers; this output holds " + type + " values";
    }
    switch (spec.metric()) {
      case TOPK -> {
        if (shape == null) {
          return null;
        }
        if (shape.length == 0) {
          return spec.measure() + " needs class scores on a last axis; this output is a scalar";
        }
        long classes = shape[shape.length - 1];
        if (classes >= 0 && classes < spec.k()) {
          return spec.measure()
              + " needs at least "
              + spec.k()
              + " classes on the output's last axis; it has "
              + classes
              + " (shape "
              + Arrays.toString(shape)
              + ")";
        }
        return null;
      }
      case FLIPS, IOU -> {
        if (type != null && !FLOAT_TYPES.contains(type)) {
          return spec.measure()
              + " binarizes scores at a threshold, so it needs a floating-point output; this one"
              + " holds "
              + type
              + " values";
        }
        return null;
      }
      default -> {
        return null;
      }
    }
  }

  /**
   * What is compared when the operator names nothing: top-1 agreement for an output that looks like
   * class scores (see {@link #looksLikeClassScores}), cosine similarity otherwise; both at {@code
   * floor}.
   */
  public static List<ComparisonSpec> defaultsFor(long[] shape, double floor) {
    return List.of(
        looksLikeClassScores(shape) ? ComparisonSpec.topK(1, floor) : ComparisonSpec.cosine(floor));
  }

  /**
   * Rank 2 (batch × classes) or 3 (batch × positions × classes, as a sequence labeller's) and a
   * known last axis from 2 to {@link #MAX_CLASSES}. A rank-4 output is an image-shaped map (N × C ×
   * H × W) whose last axis is a width, where an arg-max along a row means nothing.
   */
  public static boolean looksLikeClassScores(long[] shape) {
    if (shape == null || shape.length < 2 || shape.length > 3) {
      return false;
    }
    long classes = shape[shape.length - 1];
    return classes >= 2 && classes <= MAX_CLASSES;
  }

  private static String normalized(String elementType) {
    if (elementType == null || elementType.isBlank()) {
      return null;
    }
    String t = elementType.strip().toLowerCase(Locale.ROOT);
    if (t.startsWith("tensor(") && t.endsWith(")")) {
      t = t.substring("tensor(".length(), t.length() - 1);
    }
    return t.equals("float32") ? "float" : t.equals("float64") ? "double" : t;
  }
}
