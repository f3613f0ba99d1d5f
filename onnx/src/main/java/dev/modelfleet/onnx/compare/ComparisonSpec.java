package dev.modelfleet.onnx.compare;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One way to judge a candidate model's output against a reference's, with the bound it must meet,
 * as an operator types it: {@code cosine>=0.99}, {@code maxabs<=0.05}, {@code meanabs<=0.01},
 * {@code top1>=0.99}, {@code top5>=0.98}, {@code flips@0.5<=0.01}, {@code iou@0.3>=0.95}. {@link
 * #toString()} gives the text back in that form.
 *
 * @param metric what is measured
 * @param parameter k for {@link Metric#TOPK}, the threshold for {@link Metric#FLIPS} and {@link
 *     Metric#IOU}; 0 for the others
 * @param bound the floor (for metrics where higher is better) or ceiling (lower is better)
 */
public record ComparisonSpec(Metric metric, double parameter, double bound) {

  /** What a comparator measures, and which way is better. */
  public enum Metric {
    /** Cosine similarity of all values of all samples taken as one vector. */
    COSINE("cosine", true),
    /** The largest absolute difference of any value. */
    MAXABS("maxabs", false),
    /** The mean absolute difference over all values. */
    MEANABS("meanabs", false),
    /** Share of rows whose reference arg-max is among the candidate's k highest classes. */
    TOPK("top", true),
    /** Share of values on the other side of the threshold in the candidate than the reference. */
    FLIPS("flips", false),
    /** Intersection over union of the values above the threshold, pooled over all samples. */
    IOU("iou", true);

    private final String word;
    private final boolean higherIsBetter;

    Metric(String word, boolean higherIsBetter) {
      this.word = word;
      this.higherIsBetter = higherIsBetter;
    }

    public String word() {
      return word;
    }

    public boolean higherIsBetter() {
      return higherIsBetter;
    }

    /** ">=" or "<=", the only comparison that makes sense for this metric. */
    public String operator() {
      return higherIsBetter ? ">=" : "<=";
    }
  }

  /** What {@link #parse} accepts, said in its error messages. */
  public static final String ACCEPTED_FORMS =
      "cosine>=F, maxabs<=E, meanabs<=E, topK>=F (K from 1 to 1000, e.g. top1>=0.99),"
          + " flips@T<=F (share of values whose decision at threshold T differs, e.g."
          + " flips@0.5<=0.01), iou@T>=F (IoU of the maps binarized at threshold T, e.g."
          + " iou@0.3>=0.95); F is a share from 0 to 1, E an error of 0 or more";

  /** The largest k a top-k comparison accepts: more classes is a map, not class scores. */
  public static final int MAX_K = 1000;

  private static final String NUMBER = "([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)";
  private static final Pattern FORM =
      Pattern.compile(
          "(cosine|maxabs|meanabs|top(\\d{1,4})|flips@"
              + NUMBER
              + "|iou@"
              + NUMBER
              + ")\\s*(>=|<=)\\s*"
              + NUMBER);

  public ComparisonSpec {
    if (metric == null) {
      throw new IllegalArgumentException(
          "a comparison needs a metric; accepted: " + ACCEPTED_FORMS);
    }
    if (!Double.isFinite(bound) || !Double.isFinite(parameter)) {
      throw new IllegalArgumentException("a comparison's numbers must be finite");
    }
    switch (metric) {
      case COSINE, TOPK, IOU, FLIPS -> {
        if (bound < 0 || bound > 1) {
          throw new IllegalArgumentException(
              metric.word() + "'s bound is a share from 0 to 1, not " + format(bound));
        }
      }
      case MAXABS, MEANABS -> {
        if (bound < 0) {
          throw new IllegalArgumentException(
              metric.word() + "'s bound is an error of 0 or more, not " + format(bound));
        }
      }
    }
    if (metric == Metric.TOPK
        && (parameter != Math.rint(parameter) || parameter < 1 || parameter > MAX_K)) {
      throw new IllegalArgumentException(
          "top-k needs a whole k from 1 to " + MAX_K + ", not " + format(parameter));
    }
    if (metric != Metric.TOPK && metric != Metric.FLIPS && metric != Metric.IOU && parameter != 0) {
      throw new IllegalArgumentException(metric.word() + " takes no parameter");
    }
  }

  /** Cosine similarity at least {@code floor}. */
  public static ComparisonSpec cosine(double floor) {
    return new ComparisonSpec(Metric.COSINE, 0, floor);
  }

  /** Top-k agreement at least {@code floor}. */
  public static ComparisonSpec topK(int k, double floor) {
    return new ComparisonSpec(Metric.TOPK, k, floor);
  }

  /**
   * Reads the operator's text, e.g. {@code iou@0.3>=0.95}; case and blanks around the operator do
   * not matter.
   *
   * @throws IllegalArgumentException saying which forms are accepted
   */
  public static ComparisonSpec parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("an empty comparison; accepted: " + ACCEPTED_FORMS);
    }
    String t = text.strip().toLowerCase(Locale.ROOT);
    Matcher m = FORM.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + bounded(text) + "' is not a comparison; accepted: " + ACCEPTED_FORMS);
    }
    String head = m.group(1);
    Metric metric;
    double parameter = 0;
    if (head.equals("cosine")) {
      metric = Metric.COSINE;
    } else if (head.equals("maxabs")) {
      metric = Metric.MAXABS;
    } else if (head.equals("meanabs")) {
      metric = Metric.MEANABS;
    } else if (m.group(2) != null) {
      metric = Metric.TOPK;
      parameter = Integer.parseInt(m.group(2));
    } else if (m.group(3) != null) {
      metric = Metric.FLIPS;
      parameter = Double.parseDouble(m.group(3));
    } else {
      metric = Metric.IOU;
      parameter = Double.parseDouble(m.group(4));
    }
    String operator = m.group(5);
    if (!operator.equals(metric.operator())) {
      throw new IllegalArgumentException(
          "'"
              + bounded(text)
              + "': "
              + metric.word()
              + (metric.higherIsBetter() ? " is better higher" : " is better lower")
              + ", so its bound is written "
              + metric.operator()
              + "; accepted: "
              + ACCEPTED_FORMS);
    }
    try {
      return new ComparisonSpec(metric, parameter, Double.parseDouble(m.group(6)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "'" + bounded(text) + "': " + e.getMessage() + "; accepted: " + ACCEPTED_FORMS, e);
    }
  }

  /** Whether {@code value} meets the bound; NaN never does. */
  public boolean floorMet(double value) {
    if (Double.isNaN(value)) {
      return false;
    }
    return metric.higherIsBetter() ? value >= bound : value <= bound;
  }

  /** k of a top-k comparison. */
  public int k() {
    return (int) parameter;
  }

  /** The threshold of a flips or IoU comparison. */
  public double threshold() {
    return parameter;
  }

  /** The metric's part of the text, without the bound: {@code iou@0.3}, {@code top5}, ... */
  public String measure() {
    return switch (metric) {
      case TOPK -> "top" + k();
      case FLIPS, IOU -> metric.word() + "@" + format(parameter);
      default -> metric.word();
    };
  }

  @Override
  public String toString() {
    return measure() + metric.operator() + format(bound);
  }

  private static String format(double d) {
    return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
  }

  private static String bounded(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + "...";
  }
}
