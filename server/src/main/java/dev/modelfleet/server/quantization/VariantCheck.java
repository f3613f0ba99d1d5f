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

  /** An output is treated as class scores when its last axis has between 2 and 1000 entries. */
  private static final int MAX_CLASSES = 1000;

  private VariantCheck() {}

  /** {@code top1Agreement}: share of rows whose arg-max agrees; null for non-classifier outputs. */
  public record OutputFigures(
      String name, double cosineSimilarity, double maxAbsError, Double top1Agreement) {}

  /**
   * {@code accuracy}: the worst output's figure, top-1 agreement for class scores, cosine
   * similarity otherwise; relative to the reference (1.0), the same scale as a variant's declared
   * accuracy and a rollout's accuracy floor.
   */
  public record Figures(
      int samples,
      boolean synthesizedInputs,
      List<OutputFigures> outputs,
      double accuracy,
      double referenceLatencyMs,
      double latencyMs,
      Latency latency,
      Loading loading) {}

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

  public static Figures compare(byte[] reference, byte[] candidate, ValidationSet set) {
    try (OrtSession.SessionOptions o = options();
        OrtSession ref = open(reference, o)) {
      Opened opened = openVariant(candidate);
      try (OrtSession.SessionOptions co = opened.options();
          OrtSession cand = opened.session()) {
        List<OutputFigures> figures = outputFigures(ref, cand, set);
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
            opened.loading());
      }
    } catch (OrtException e) {
      throw new DerivationException("ONNX Runtime failed: " + reason(e));
    }
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
    outputs.forEach(n -> acc.put(n, new Acc()));
    for (Map<String, ValidationSet.Sample> sample : set.samples()) {
      Map<String, float[]> a = run(ref, sample, outputs, "the reference");
      Map<String, float[]> b = run(cand, sample, outputs, "the derived variant");
      for (String n : outputs) {
        acc.get(n).add(a.get(n), b.get(n), lastDim(ref, n));
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
    boolean classifier = true;

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
      if (lastDim < 2 || lastDim > MAX_CLASSES || a.length % lastDim != 0) {
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

  /** The actual last axis length, read from a run, since declared shapes are often symbolic. */
  private static long lastDim(OrtSession session, String output) throws OrtException {
    long[] shape = ((TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape();
    return shape.length < 2 ? -1 : shape[shape.length - 1];
  }

  private static Map<String, float[]> run(
      OrtSession session,
      Map<String, ValidationSet.Sample> sample,
      List<String> outputs,
      String which)
      throws OrtException {
    Map<String, OnnxTensor> in = tensors(session, sample);
    try (OrtSession.Result result = session.run(in)) {
      Map<String, float[]> out = new HashMap<>();
      for (String n : outputs) {
        OnnxValue v = result.get(n).orElseThrow();
        FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
        float[] values = new float[fb.remaining()];
        fb.get(values);
        out.put(n, values);
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
