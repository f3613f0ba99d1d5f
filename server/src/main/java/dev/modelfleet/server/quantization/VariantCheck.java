package dev.modelfleet.server.quantization;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.modelfleet.onnx.SafeSessions;
import dev.modelfleet.onnx.UnsafeModelException;
import dev.modelfleet.onnx.compare.Comparators;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.onnx.compare.OutputComparator;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.quantization.graph.DerivationException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a derived variant beside its float32 reference on the same inputs and measures how far apart
 * they are, and how fast each runs on this server's CPU (one intra-op thread, so the figure does
 * not depend on what else the server is doing with its other cores).
 */
public final class VariantCheck {

  private static final int WARMUP_RUNS = 3;
  private static final int MIN_ROUNDS = 3;
  private static final int MAX_ROUNDS = 9;

  /** Runs per side and round: at least 3, more for a fast model, so a round lasts ~20 ms. */
  private static final int MIN_RUNS_PER_ROUND = 3;

  private static final int MAX_RUNS_PER_ROUND = 200;
  private static final double ROUND_SIDE_MS = 20;
  private static final long TIMING_BUDGET_NANOS = 6_000_000_000L;

  /**
   * The levels a variant is opened at, in order: the one devices use first; lower ones only when a
   * graph optimisation breaks on the variant, so it can still be measured and the report can say
   * which optimisation it needs off.
   */
  private static final List<OrtSession.SessionOptions.OptLevel> LEVELS =
      List.of(
          OrtSession.SessionOptions.OptLevel.ALL_OPT,
          OrtSession.SessionOptions.OptLevel.BASIC_OPT,
          OrtSession.SessionOptions.OptLevel.NO_OPT);

  private VariantCheck() {}

  /** {@code top1Agreement}: share of rows whose arg-max agrees; null for non-classifier outputs. */
  public record OutputFigures(
      String name, double cosineSimilarity, double maxAbsError, Double top1Agreement) {}

  /**
   * {@code accuracy}: the worst output's figure, top-1 agreement for class scores, cosine
   * similarity otherwise; relative to the reference (1.0), the same scale as a variant's declared
   * accuracy and a rollout's accuracy floor. {@code comparisons}: every comparator's verdict, the
   * ones the operator chose and the defaults of the other outputs.
   */
  public record Figures(
      int samples,
      boolean synthesizedInputs,
      List<OutputFigures> outputs,
      double accuracy,
      double referenceLatencyMs,
      double latencyMs,
      Latency latency,
      Loading loading,
      List<Comparison> comparisons) {

    /** Whether every comparator's bound is met. */
    public boolean passes() {
      return comparisons.stream().allMatch(Comparison::passed);
    }

    /** The comparators that failed, in words; null when none did. */
    public String shortfall() {
      List<String> failed =
          comparisons.stream()
              .filter(c -> !c.passed())
              .map(
                  c ->
                      "output '"
                          + c.output()
                          + "' "
                          + c.measure()
                          + " "
                          + rounded(c.value())
                          + " does not meet "
                          + c.comparator())
              .toList();
      return failed.isEmpty() ? null : String.join("; ", failed);
    }
  }

  /**
   * One comparator's verdict on one output over all validation samples: {@code comparator} its text
   * ({@code iou@0.3>=0.95}), {@code measure} what it measures ({@code iou@0.3}), {@code chosen}
   * false when it is the output's default (top-1 for class scores, cosine otherwise, at the job's
   * floor for the kind).
   */
  public record Comparison(
      String output,
      String comparator,
      String measure,
      double value,
      boolean passed,
      boolean chosen) {}

  private static String rounded(double v) {
    return Double.isFinite(v) ? String.valueOf(Math.round(v * 10000) / 10000.0) : String.valueOf(v);
  }

  /** The model's outputs, for checking the comparators a job names before it is queued. */
  public static Map<String, NodeInfo> outputs(byte[] model) {
    try (OrtSession.SessionOptions o = options();
        OrtSession s = open(model, o)) {
      return s.getOutputInfo();
    } catch (OrtException e) {
      throw new DerivationException("ONNX Runtime cannot load the model: " + reason(e));
    }
  }

  /**
   * Variant and reference timed in the same rounds, alternating which goes first: {@code ratio} is
   * the median of the per-round ratios (variant / reference), {@code min}/{@code max} their spread.
   * Load from anything else on the machine hits both sides of a round alike, so the ratio holds
   * where the milliseconds do not.
   */
  public record Latency(
      double referenceMs, double variantMs, double ratio, double min, double max, int rounds) {}

  /**
   * How ONNX Runtime opened the variant: {@code level} "all" (as devices do), "basic" or
   * "disabled"; {@code failure}: why a higher level failed, whole; null when "all" worked.
   */
  public record Loading(String level, String failure) {
    public boolean asDevicesDo() {
      return failure == null;
    }
  }

  public static Map<String, NodeInfo> inputs(byte[] model) {
    try (OrtSession.SessionOptions o = options();
        OrtSession s = open(model, o)) {
      return s.getInputInfo();
    } catch (OrtException e) {
      throw new DerivationException("ONNX Runtime cannot load the model: " + reason(e));
    }
  }

  /** Null when ONNX Runtime loads {@code model} as devices do (all optimisations), else why not. */
  public static String loadFailure(byte[] model) {
    try (OrtSession.SessionOptions o = options();
        OrtSession s = open(model, o)) {
      return null;
    } catch (OrtException e) {
      return reason(e);
    }
  }

  private record Opened(OrtSession session, OrtSession.SessionOptions options, Loading loading) {}

  private static Opened openVariant(byte[] candidate) throws OrtException {
    String failure = null;
    for (OrtSession.SessionOptions.OptLevel level : LEVELS) {
      OrtSession.SessionOptions o = options();
      o.setOptimizationLevel(level);
      try {
        return new Opened(open(candidate, o), o, new Loading(levelName(level), failure));
      } catch (OrtException e) {
        o.close();
        if (failure == null) {
          failure = reason(e);
        }
      }
    }
    throw new DerivationException(
        "ONNX Runtime cannot load the derived variant, with graph optimisations or without: "
            + failure);
  }

  private static String levelName(OrtSession.SessionOptions.OptLevel level) {
    return switch (level) {
      case ALL_OPT -> "all";
      case BASIC_OPT -> "basic";
      case NO_OPT -> "disabled";
      default -> level.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  /** Compares with the default comparators at the default floor. */
  public static Figures compare(byte[] reference, byte[] candidate, ValidationSet set) {
    return compare(reference, candidate, set, Map.of(), DerivationService.DEFAULT_ACCURACY_FLOOR);
  }

  /**
   * Runs both on every validation sample and judges each float32 output with the comparators {@code
   * chosen} names for it, or with its default at {@code floor}.
   */
  public static Figures compare(
      byte[] reference,
      byte[] candidate,
      ValidationSet set,
      Map<String, List<ComparisonSpec>> chosen,
      double floor) {
    try (OrtSession.SessionOptions o = options();
        OrtSession ref = open(reference, o)) {
      Opened opened = openVariant(candidate);
      try (OrtSession.SessionOptions co = opened.options();
          OrtSession cand = opened.session()) {
        Judged judged = judged(ref, cand, set, chosen, floor);
        List<OutputFigures> figures = judged.figures();
        List<Comparison> comparisons = judged.comparisons();
        double accuracy = accuracy(figures);
        Latency latency = interleaved(ref, cand, set.samples().get(0));
        return new Figures(
            set.samples().size(),
            set.synthesized(),
            figures,
            accuracy,
            latency.referenceMs(),
            latency.variantMs(),
            latency,
            opened.loading(),
            List.copyOf(comparisons));
      }
    } catch (OrtException e) {
      throw new DerivationException("ONNX Runtime failed: " + reason(e));
    }
  }

  /**
   * What the job's comparators say of a candidate, without timing it: every verdict, and {@code
   * margin}, the worst comparator's distance from its bound (negative when it fails; a fraction of
   * the bound for lower-is-better measures), which orders candidates in a search.
   */
  record Judgement(boolean passes, double margin, String shortfall) {}

  private record Judged(List<OutputFigures> figures, List<Comparison> comparisons) {}

  /** The candidate judged by {@code chosen}, or each output's default at {@code floor}. */
  static Judgement judge(
      byte[] reference,
      byte[] candidate,
      ValidationSet set,
      Map<String, List<ComparisonSpec>> chosen,
      double floor) {
    try (OrtSession.SessionOptions o = options();
        OrtSession ref = open(reference, o);
        OrtSession cand = open(candidate, o)) {
      List<Comparison> comparisons = judged(ref, cand, set, chosen, floor).comparisons();
      double margin = Double.POSITIVE_INFINITY;
      List<String> failed = new ArrayList<>();
      for (Comparison c : comparisons) {
        ComparisonSpec spec = ComparisonSpec.parse(c.comparator());
        double m =
            spec.metric().higherIsBetter()
                ? c.value() - spec.bound()
                : (spec.bound() - c.value()) / Math.max(Math.abs(spec.bound()), 1e-6);
        margin = Math.min(margin, Double.isNaN(m) ? Double.NEGATIVE_INFINITY : m);
        if (!c.passed()) {
          failed.add("output '" + c.output() + "' " + c.measure() + " " + rounded(c.value()));
        }
      }
      return new Judgement(
          failed.isEmpty(), margin, failed.isEmpty() ? "" : String.join(", ", failed));
    } catch (OrtException e) {
      throw new DerivationException("ONNX Runtime failed: " + reason(e));
    }
  }

  private static Judged judged(
      OrtSession ref,
      OrtSession cand,
      ValidationSet set,
      Map<String, List<ComparisonSpec>> chosen,
      double floor)
      throws OrtException {
    List<String> outputs = new ArrayList<>();
    ref.getOutputInfo()
        .forEach(
            (name, info) -> {
              if (info.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT) {
                outputs.add(name);
              }
            });
    if (outputs.isEmpty()) {
      throw new DerivationException("the model has no float32 output to compare");
    }
    for (String n : chosen.keySet()) {
      if (!outputs.contains(n)) {
        throw new DerivationException("the model has no float32 output '" + n + "' to compare");
      }
    }
    Map<String, Acc> acc = new HashMap<>();
    Map<String, List<OutputComparator>> judges = new HashMap<>();
    for (String n : outputs) {
      long[] declared = declaredShape(ref, n);
      acc.put(n, new Acc(Comparators.looksLikeClassScores(declared)));
      judges.put(
          n,
          chosen.getOrDefault(n, Comparators.defaultsFor(declared, floor)).stream()
              .map(OutputComparator::of)
              .toList());
    }
    for (Map<String, ValidationSet.Sample> sample : set.samples()) {
      Map<String, Out> a = run(ref, sample, outputs, "the reference");
      Map<String, Out> b = run(cand, sample, outputs, "the derived variant");
      for (String n : outputs) {
        acc.get(n).add(a.get(n).values(), b.get(n).values(), lastDim(ref, n));
        for (OutputComparator judge : judges.get(n)) {
          try {
            judge.add(a.get(n).values(), b.get(n).values(), a.get(n).shape());
          } catch (IllegalArgumentException e) {
            throw new DerivationException(
                "output '" + n + "' cannot be judged by " + judge.spec() + ": " + e.getMessage());
          }
        }
      }
    }
    List<Comparison> comparisons = new ArrayList<>();
    for (String n : outputs) {
      for (OutputComparator judge : judges.get(n)) {
        comparisons.add(
            new Comparison(
                n,
                judge.spec().toString(),
                judge.spec().measure(),
                judge.value(),
                judge.passes(),
                chosen.containsKey(n)));
      }
    }
    List<OutputFigures> figures = outputs.stream().map(n -> acc.get(n).figures(n)).toList();
    return new Judged(figures, List.copyOf(comparisons));
  }

  /**
   * The accuracy alone, no timing, with ONNX Runtime's optimisations as devices use them: what a
   * search over many candidate variants (int8-qdq's mixed precision) compares.
   */
  static double accuracy(byte[] reference, byte[] candidate, ValidationSet set) {
    return accuracy(outputFigures(reference, candidate, set));
  }

  static List<OutputFigures> outputFigures(byte[] reference, byte[] candidate, ValidationSet set) {
    try (OrtSession.SessionOptions o = options();
        OrtSession ref = open(reference, o);
        OrtSession cand = open(candidate, o)) {
      return outputFigures(ref, cand, set);
    } catch (OrtException e) {
      throw new DerivationException("ONNX Runtime failed: " + reason(e));
    }
  }

  static double accuracy(List<OutputFigures> figures) {
    return figures.stream()
        .mapToDouble(f -> f.top1Agreement() != null ? f.top1Agreement() : f.cosineSimilarity())
        .min()
        .orElse(0);
  }

  private static List<OutputFigures> outputFigures(
      OrtSession ref, OrtSession cand, ValidationSet set) throws OrtException {
    List<String> outputs = new ArrayList<>();
    ref.getOutputInfo()
        .forEach(
            (name, info) -> {
              if (info.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT) {
                outputs.add(name);
              }
            });
    if (outputs.isEmpty()) {
      throw new DerivationException("the model has no float32 output to compare");
    }
    Map<String, Acc> acc = new HashMap<>();
    for (String n : outputs) {
      acc.put(n, new Acc(Comparators.looksLikeClassScores(declaredShape(ref, n))));
    }
    for (Map<String, ValidationSet.Sample> sample : set.samples()) {
      Map<String, Out> a = run(ref, sample, outputs, "the reference");
      Map<String, Out> b = run(cand, sample, outputs, "the derived variant");
      for (String n : outputs) {
        acc.get(n).add(a.get(n).values(), b.get(n).values(), lastDim(ref, n));
      }
    }
    return outputs.stream().map(n -> acc.get(n).figures(n)).toList();
  }

  private static final class Acc {
    double dot;
    double na;
    double nb;
    double maxAbs;
    long rows;
    long agree;
    boolean classifier;

    Acc(boolean classScores) {
      this.classifier = classScores;
    }

    void add(float[] a, float[] b, long lastDim) {
      if (a.length != b.length) {
        throw new DerivationException(
            "the derived variant's output has "
                + b.length
                + " values where the reference has "
                + a.length);
      }
      for (int i = 0; i < a.length; i++) {
        double x = a[i];
        double y = b[i];
        dot += x * y;
        na += x * x;
        nb += y * y;
        double d = Math.abs(x - y);
        maxAbs = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(maxAbs, d);
      }
      if (!classifier || lastDim < 2 || a.length % lastDim != 0) {
        classifier = false;
        return;
      }
      int k = (int) lastDim;
      for (int r = 0; r < a.length / k; r++) {
        rows++;
        if (argMax(a, r * k, k) == argMax(b, r * k, k)) {
          agree++;
        }
      }
    }

    OutputFigures figures(String name) {
      double cosine = na == 0 && nb == 0 ? 1 : (na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb));
      if (Double.isNaN(cosine)) {
        cosine = 0;
      }
      return new OutputFigures(
          name, cosine, maxAbs, classifier && rows > 0 ? (double) agree / rows : null);
    }
  }

  private static int argMax(float[] v, int from, int n) {
    int best = from;
    for (int i = from + 1; i < from + n; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best - from;
  }

  /** The last axis length as declared (-1 when symbolic or the output has fewer than 2 axes). */
  private static long lastDim(OrtSession session, String output) throws OrtException {
    long[] shape = declaredShape(session, output);
    return shape.length < 2 ? -1 : shape[shape.length - 1];
  }

  private static long[] declaredShape(OrtSession session, String output) throws OrtException {
    return ((TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape();
  }

  /** One output of one run: its values and its actual shape. */
  private record Out(float[] values, long[] shape) {}

  private static Map<String, Out> run(
      OrtSession session,
      Map<String, ValidationSet.Sample> sample,
      List<String> outputs,
      String which)
      throws OrtException {
    Map<String, OnnxTensor> in = tensors(session, sample);
    try (OrtSession.Result result = session.run(in)) {
      Map<String, Out> out = new HashMap<>();
      for (String n : outputs) {
        OnnxValue v = result.get(n).orElseThrow();
        FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
        float[] values = new float[fb.remaining()];
        fb.get(values);
        out.put(n, new Out(values, ((OnnxTensor) v).getInfo().getShape()));
      }
      return out;
    } catch (OrtException e) {
      throw new DerivationException(
          which
              + " failed on the validation inputs ("
              + reason(e)
              + "); supply validation samples that fit the model");
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  static Map<String, OnnxTensor> tensors(
      OrtSession session, Map<String, ValidationSet.Sample> sample) throws OrtException {
    Map<String, OnnxTensor> in = new HashMap<>();
    for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
      ValidationSet.Sample s = sample.get(e.getKey());
      OnnxJavaType type = ((TensorInfo) e.getValue().getInfo()).type;
      OnnxTensor t;
      if (type == OnnxJavaType.FLOAT) {
        t = OnnxTensor.createTensor(env(), FloatBuffer.wrap(s.floats()), s.shape());
      } else if (type == OnnxJavaType.INT32) {
        t =
            OnnxTensor.createTensor(
                env(),
                IntBuffer.wrap(Arrays.stream(s.longs()).mapToInt(l -> (int) l).toArray()),
                s.shape());
      } else {
        t = OnnxTensor.createTensor(env(), LongBuffer.wrap(s.longs()), s.shape());
      }
      in.put(e.getKey(), t);
    }
    return in;
  }

  /**
   * Warm-up, then rounds of runs of each (as many as fill ~20 ms, so a sub-millisecond model is not
   * judged by single scheduler slices), the first side alternating per round; at least {@link
   * #MIN_ROUNDS}, more while the time budget lasts.
   */
  static Latency interleaved(
      OrtSession ref, OrtSession cand, Map<String, ValidationSet.Sample> sample)
      throws OrtException {
    Map<String, OnnxTensor> refIn = tensors(ref, sample);
    Map<String, OnnxTensor> candIn = tensors(cand, sample);
    try {
      long slowest = 0;
      for (int i = 0; i < WARMUP_RUNS; i++) {
        long t0 = System.nanoTime();
        ref.run(refIn).close();
        long t1 = System.nanoTime();
        cand.run(candIn).close();
        slowest = Math.max(slowest, Math.max(t1 - t0, System.nanoTime() - t1));
      }
      int runs =
          (int)
              Math.max(
                  MIN_RUNS_PER_ROUND,
                  Math.min(MAX_RUNS_PER_ROUND, Math.ceil(ROUND_SIDE_MS * 1e6 / slowest)));
      List<Double> refMs = new ArrayList<>();
      List<Double> candMs = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      long start = System.nanoTime();
      while (ratios.size() < MAX_ROUNDS
          && (ratios.size() < MIN_ROUNDS || System.nanoTime() - start < TIMING_BUDGET_NANOS)) {
        boolean refFirst = ratios.size() % 2 == 0;
        double a = refFirst ? roundMs(ref, refIn, runs) : 0;
        double b = roundMs(cand, candIn, runs);
        if (!refFirst) {
          a = roundMs(ref, refIn, runs);
        }
        refMs.add(a);
        candMs.add(b);
        ratios.add(a == 0 ? 1 : b / a);
      }
      return new Latency(
          median(refMs),
          median(candMs),
          median(ratios),
          ratios.stream().mapToDouble(Double::doubleValue).min().orElse(1),
          ratios.stream().mapToDouble(Double::doubleValue).max().orElse(1),
          ratios.size());
    } finally {
      refIn.values().forEach(OnnxTensor::close);
      candIn.values().forEach(OnnxTensor::close);
    }
  }

  /** The median of one side's runs in a round, in milliseconds. */
  private static double roundMs(OrtSession session, Map<String, OnnxTensor> in, int runs)
      throws OrtException {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      session.run(in).close();
      times.add((System.nanoTime() - t0) / 1e6);
    }
    return median(times);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static OrtSession.SessionOptions options() throws OrtException {
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    o.setIntraOpNumThreads(1);
    o.setInterOpNumThreads(1);
    return o;
  }

  static OrtEnvironment env() {
    return OrtEnvironment.getEnvironment();
  }

  /**
   * Every model a derivation runs — the reference, each variant, the calibration graph — passes the
   * safety check first: the reference may have been stored before the check existed, and a variant
   * is only as safe as the rewrite that made it.
   */
  static OrtSession open(byte[] model, OrtSession.SessionOptions options) throws OrtException {
    try {
      return SafeSessions.open(env(), model, options);
    } catch (UnsafeModelException e) {
      throw ApiError.unsafeModel(e);
    }
  }

  /**
   * ONNX Runtime's message, whole (the node it names usually comes last), bounded at a word; the
   * name is older than that.
   */
  static String reason(Exception e) {
    return Reasons.of(e);
  }
}
