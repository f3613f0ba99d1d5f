package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The float range [lo, hi] each activation is quantized over, measured on the calibration samples
 * by one of three methods:
 *
 * <ul>
 *   <li>{@code minmax}: the extremes seen; one outlier stretches the range and coarsens every other
 *       value's step;
 *   <li>{@code percentile}: the magnitude below which that share of the values lie (e.g. 99.99);
 *   <li>{@code entropy}: the clipping threshold whose 8-bit histogram loses the least information
 *       (Kullback-Leibler divergence), as TensorRT calibrates;
 *   <li>{@code mse}: the clipping threshold with the least expected squared error once quantized:
 *       rounding noise for the values inside, the distance to the bound for those beyond. Where a
 *       tensor's bulk is a few units and rare outliers reach a hundred (PaddleOCR's PP-OCRv4
 *       detector), this clips deeper than a fixed percentile and keeps the bulk's steps fine.
 * </ul>
 *
 * The last three read a histogram of |x| in {@link Histogram#BINS} bins, filled in a second pass
 * over the samples once the first has found the extremes: memory per activation is the histogram,
 * not the values. A range always contains 0, so zero (padding, ReLU's floor) is exact.
 */
public final class ActivationRanges {

  public enum Method {
    MINMAX,
    PERCENTILE,
    ENTROPY,
    MSE;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The method named {@code wire}; an unknown name is refused with every method listed, read from
     * this enum so the message cannot drift from what is accepted.
     */
    public static Method fromWire(String wire) {
      for (Method m : values()) {
        if (m.wire().equals(wire)) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "calibration method '" + wire + "' is unknown; use " + listed(values()));
    }

    /** "a, b or c": the wire names of {@code methods}, as an error message lists them. */
    public static String listed(Method... methods) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < methods.length; i++) {
        if (i > 0) {
          s.append(i == methods.length - 1 ? " or " : ", ");
        }
        s.append(methods[i].wire());
      }
      return s.toString();
    }
  }

  private ActivationRanges() {}

  /**
   * Runs {@code model} with {@code names} exposed as outputs. Names whose values are not float (a
   * shape computation) are absent from the result, so their operators stay in float.
   */
  public static Map<String, float[]> measure(
      ModelProto model,
      Set<String> names,
      Int8StaticQuantizer.ActivationRuns runs,
      Method method,
      double percentile) {
    byte[] exposed = exposing(model, names);
    Map<String, float[]> extremes = new LinkedHashMap<>();
    runs.run(
        exposed,
        names,
        (name, v) -> {
          float[] mm = extremes.computeIfAbsent(name, k -> new float[] {0f, 0f});
          for (float x : v) {
            if (Float.isFinite(x)) {
              mm[0] = Math.min(mm[0], x);
              mm[1] = Math.max(mm[1], x);
            }
          }
        });
    if (method == Method.MINMAX) {
      return extremes;
    }
    Map<String, Histogram> histograms = new HashMap<>();
    extremes.forEach(
        (name, mm) -> histograms.put(name, new Histogram(Math.max(-mm[0], mm[1]), mm[0] >= 0)));
    runs.run(exposed, extremes.keySet(), (name, v) -> histograms.get(name).add(v));
    Map<String, float[]> ranges = new LinkedHashMap<>();
    extremes.forEach(
        (name, mm) -> {
          Histogram h = histograms.get(name);
          float t =
              switch (method) {
                case PERCENTILE -> h.percentile(percentile);
                case ENTROPY -> h.entropyThreshold();
                default -> h.mseThreshold(mm[0], mm[1]);
              };
          ranges.put(name, new float[] {Math.max(mm[0], -t), Math.min(mm[1], t)});
        });
    return ranges;
  }

  /**
   * The largest |x| of each channel of each activation in {@code channels} (name → channel count,
   * layout [N, C, ...] with the batch of 1 that calibration samples have): what {@link
   * ChannelSplit} decides on.
   */
  public static Map<String, float[]> channelMaxima(
      ModelProto model, Map<String, Integer> channels, Int8StaticQuantizer.ActivationRuns runs) {
    Map<String, float[]> out = new LinkedHashMap<>();
    runs.run(
        exposing(model, channels.keySet()),
        channels.keySet(),
        (name, v) -> {
          int c = channels.get(name);
          float[] max = out.computeIfAbsent(name, k -> new float[c]);
          int per = Math.max(1, v.length / c);
          for (int i = 0; i < v.length; i++) {
            if (Float.isFinite(v[i])) {
              int ch = (i / per) % c;
              max[ch] = Math.max(max[ch], Math.abs(v[i]));
            }
          }
        });
    return out;
  }

  /** The model with each of {@code names} also a graph output, its type left to ONNX Runtime. */
  static byte[] exposing(ModelProto model, Set<String> names) {
    Set<String> declared = new HashSet<>();
    model.getGraph().getOutputList().forEach(v -> declared.add(v.getName()));
    GraphProto.Builder g = model.getGraph().toBuilder();
    for (String name : names) {
      if (declared.add(name)) {
        g.addOutput(ValueInfoProto.newBuilder().setName(name));
      }
    }
    return model.toBuilder().setGraph(g).build().toByteArray();
  }

  /**
   * A histogram of |x| over [0, max|x|]. {@code nonNegative}: the tensor has no negative value
   * (after a ReLU), so its 8 bits span [0, t] in 255 steps; else [-t, t] in 127 steps a side.
   */
  public static final class Histogram {

    /** Fine enough that an activation with outliers at 100x its spread keeps ~80 bins of bulk. */
    public static final int BINS = 8192;

    /** Thresholds tried by the entropy search: every this many bins, which bounds its cost. */
    private static final int EDGE_STEP = 32;

    private final long[] counts = new long[BINS];
    private final double width;
    private final int levels;
    private long total;

    /** Values exactly 0 (ReLU's floor, padding): exact at any scale, so they add no rounding. */
    private long zeros;

    public Histogram(float maxAbs, boolean nonNegative) {
      this.width = maxAbs > 0 && Float.isFinite(maxAbs) ? maxAbs / (double) BINS : 0;
      this.levels = nonNegative ? 255 : 127;
    }

    public void add(float[] values) {
      if (width == 0) {
        return;
      }
      for (float v : values) {
        if (Float.isFinite(v)) {
          zeros += v == 0f ? 1 : 0;
          int bin = (int) (Math.abs(v) / width);
          counts[Math.min(BINS - 1, bin)]++;
          total++;
        }
      }
    }

    /** The magnitude below which {@code percentile} % of the values lie (a bin's upper edge). */
    public float percentile(double percentile) {
      if (total == 0) {
        return (float) (width * BINS);
      }
      double wanted = total * percentile / 100.0;
      long seen = 0;
      for (int i = 0; i < BINS; i++) {
        seen += counts[i];
        if (seen >= wanted) {
          return (float) ((i + 1) * width);
        }
      }
      return (float) (BINS * width);
    }

    /**
     * The threshold t minimising the expected squared error of these values quantized over [max(lo,
     * -t), min(hi, t)] in 255 uint8 steps: step²/12 for every nonzero value inside, (|x| - t)² for
     * every value beyond (at its bin's centre). {@code lo} and {@code hi}: the extremes seen, so a
     * tensor whose negative side is short (hard-swish's -0.375) is not charged for steps it does
     * not spend there.
     */
    public float mseThreshold(float lo, float hi) {
      if (total == 0) {
        return (float) (width * BINS);
      }
      // tail sums over bins i..BINS-1 of n, n·c and n·c², c the bin's centre
      double[] n0 = new double[BINS + 1];
      double[] n1 = new double[BINS + 1];
      double[] n2 = new double[BINS + 1];
      for (int i = BINS - 1; i >= 0; i--) {
        double c = (i + 0.5) * width;
        n0[i] = n0[i + 1] + counts[i];
        n1[i] = n1[i + 1] + counts[i] * c;
        n2[i] = n2[i + 1] + counts[i] * c * c;
      }
      double best = Double.POSITIVE_INFINITY;
      int bestEdge = BINS;
      for (int edge = 1; edge <= BINS; edge++) {
        double t = edge * width;
        double step = (Math.min(t, hi) + Math.min(t, -lo)) / 255.0;
        double inside = Math.max(0, total - n0[edge] - zeros);
        double clipped = n2[edge] - 2 * t * n1[edge] + t * t * n0[edge];
        double err = inside * step * step / 12 + clipped;
        if (err < best) {
          best = err;
          bestEdge = edge;
        }
      }
      return (float) (bestEdge * width);
    }

    /**
     * The threshold t whose clipped distribution (values beyond t counted in the last bin) is
     * closest, in KL divergence, to itself quantized to this histogram's 8-bit levels.
     */
    public float entropyThreshold() {
      if (total == 0) {
        return (float) (width * BINS);
      }
      double best = Double.POSITIVE_INFINITY;
      int bestEdge = BINS;
      long beyond = 0;
      long[] tail = new long[BINS + 1];
      for (int i = BINS - 1; i >= 0; i--) {
        tail[i] = tail[i + 1] + counts[i];
      }
      double[] p = new double[BINS];
      double[] q = new double[BINS];
      for (int edge = levels;
          edge <= BINS;
          edge = edge == BINS ? BINS + 1 : Math.min(BINS, edge + EDGE_STEP)) {
        beyond = tail[edge];
        for (int i = 0; i < edge; i++) {
          p[i] = counts[i];
        }
        p[edge - 1] += beyond;
        expandQuantized(edge, q);
        double kl = divergence(p, q, edge);
        if (kl < best) {
          best = kl;
          bestEdge = edge;
        }
      }
      return (float) (bestEdge * width);
    }

    /** Every {@link #EDGE_STEP} bins, the last bin always included. */
    private static int nextEdge(int edge) {
      return edge == BINS ? BINS + 1 : Math.min(BINS, edge + EDGE_STEP);
    }

    /**
     * The first {@code edge} bins merged into {@link #levels} groups, each group's count spread
     * evenly over its non-empty bins: what survives quantizing at threshold {@code edge}.
     */
    private void expandQuantized(int edge, double[] q) {
      double per = edge / (double) levels;
      for (int j = 0; j < levels; j++) {
        int start = (int) Math.round(j * per);
        int stop = j == levels - 1 ? edge : (int) Math.round((j + 1) * per);
        long sum = 0;
        int nonEmpty = 0;
        for (int i = start; i < stop; i++) {
          sum += counts[i];
          if (counts[i] > 0) {
            nonEmpty++;
          }
        }
        for (int i = start; i < stop; i++) {
          q[i] = counts[i] > 0 ? sum / (double) nonEmpty : 0;
        }
      }
    }

    /** KL(p ‖ q) over the first n bins, both normalised; an empty q bin gets a small floor. */
    private static double divergence(double[] p, double[] q, int n) {
      double ps = 0;
      double qs = 0;
      for (int i = 0; i < n; i++) {
        ps += p[i];
        qs += q[i];
      }
      if (ps == 0 || qs == 0) {
        return Double.POSITIVE_INFINITY;
      }
      double kl = 0;
      for (int i = 0; i < n; i++) {
        if (p[i] > 0) {
          double pi = p[i] / ps;
          double qi = Math.max(q[i] / qs, 1e-12);
          kl += pi * Math.log(pi / qi);
        }
      }
      return kl;
    }
  }
}
