package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.Int8DynamicQuantizer;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * int8-qdq beside the other kinds: size, latency relative to fp32 at 1 and 2 intra-op threads
 * (variant and reference in the same interleaved rounds; median of the per-round ratios and their
 * interquartile range), and accuracy (the job's figure, the worst output's cosine and max abs
 * error), for each calibration method, the mixed-precision search, int8-dynamic, int8-static and
 * fp16. Prints a Markdown table. Run it with {@code e2e/bench.sh quantization}.
 *
 * <p>{@code -Dbench.only=PaddleOCR} (models whose name contains it), {@code -Dbench.variants=}
 * (variant names, comma separated, a trailing * for a prefix; all by default), {@code
 * -Dbench.samples=16} (validation samples; calibration stays 16), {@code -Dbench.rounds=31} (0:
 * accuracy only). When both {@code int8-qdq minmax} and {@code int8-qdq mse} run, mse is also timed
 * against minmax directly (same graph, other scales: the ratio should be 1).
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class QdqBenchmark {

  private record Case(
      String name, byte[] reference, ValidationSet validation, ValidationSet calibration) {}

  private record Variant(String name, byte[] model, String note) {}

  @Test
  void int8QdqAgainstTheOtherKinds() throws Exception {
    List<Case> cases = new ArrayList<>();
    int count = Integer.getInteger("bench.samples", 16);
    Optional<Path> paddle = TestModels.shared("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    String orientation = "";
    if (paddle.isPresent()) {
      byte[] m = Files.readAllBytes(paddle.get());
      // the classifier's own task: rendered text lines, half upside down (TextLines)
      TextLines.Set lines = TextLines.set("x", Integer.getInteger("bench.lines", 128), 7);
      cases.add(
          new Case(
              "PaddleOCR cls [1,3,48,192], text lines",
              m,
              TextLines.set("x", count, 42).samples(),
              lines.samples()));
      orientation =
          String.format(
              Locale.ROOT,
              "PaddleOCR cls fp32 reads the orientation of %.1f %% of the %d validation lines"
                  + " right (half of them upside down).%n",
              100 * orientationRight(m, lines),
              lines.turned().length);
    }
    Optional<Path> vad = TestModels.shared("silero_vad_v5.onnx");
    if (vad.isPresent()) {
      byte[] m = Files.readAllBytes(vad.get());
      cases.add(new Case("silero VAD v5", m, null, null));
    }
    byte[] conv = QdqTestModels.convNet(1, 128, 32).toByteArray();
    cases.add(
        new Case(
            "generated conv net [1,3,128,128], width 32",
            conv,
            set(conv, Map.of(), count, 42),
            set(conv, Map.of(), 16, 7)));
    byte[] mlp = QdqTestModels.matMulNet(2, 64, 256, 4).toByteArray();
    cases.add(
        new Case(
            "generated MatMul net [1,64,256], 4 blocks",
            mlp,
            set(mlp, Map.of(), count, 42),
            set(mlp, Map.of(), 16, 7)));

    StringBuilder out = new StringBuilder();
    out.append(
        "| model | variant | size ratio | latency 1 thread (p25–p75) | latency 2 threads (p25–p75)"
            + " | accuracy | worst cosine | worst max abs error | note |\n"
            + "|---|---|---|---|---|---|---|---|---|\n");
    String only = System.getProperty("bench.only", ""); // e.g. -Dbench.only=PaddleOCR
    for (Case c : cases) {
      if (!c.name().contains(only)) {
        continue;
      }
      if (c.validation() == null) {
        String why;
        try {
          Derivations.check(OnnxGraphs.parse(c.reference()), DerivationKind.INT8_QDQ);
          why = "derivable";
        } catch (DerivationException e) {
          why = e.getMessage();
        }
        out.append(
            "| " + c.name() + " | int8-qdq | – | – | – | – | – | – | not derived: " + why + " |\n");
        continue;
      }
      Map<String, byte[]> done = new java.util.HashMap<>();
      for (Variant v : variants(c)) {
        out.append(row(c, v));
        done.put(v.name(), v.model());
        System.err.println(out);
      }
      byte[] minmax = done.get("int8-qdq minmax");
      byte[] mse = done.get("int8-qdq mse");
      if (minmax != null && mse != null && ROUNDS > 0) {
        Map<String, ValidationSet.Sample> sample = c.validation().samples().get(0);
        Timing one = timing(minmax, mse, 1, sample);
        Timing two = timing(minmax, mse, 2, sample);
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | int8-qdq mse / int8-qdq minmax | – | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f)"
                    + " | – | – | – | timed against minmax, not fp32; %s |%n",
                c.name(),
                one.median(),
                one.p25(),
                one.p75(),
                two.median(),
                two.p25(),
                two.p75(),
                DetectorBenchmark.optimisedOps(minmax).equals(DetectorBenchmark.optimisedOps(mse))
                    ? "ONNX Runtime runs the same operators in both"
                    : "operators differ: minmax "
                        + DetectorBenchmark.optimisedOps(minmax)
                        + ", mse "
                        + DetectorBenchmark.optimisedOps(mse)));
        System.err.println(out);
      }
    }
    System.out.println("\n" + out + orientation);
  }

  /** Share of lines whose orientation (class "180" for upside down) the model gets right. */
  private static double orientationRight(byte[] model, TextLines.Set lines) throws Exception {
    int right = 0;
    try (OrtSession.SessionOptions o = VariantCheck.options();
        OrtSession s = VariantCheck.open(model, o)) {
      for (int i = 0; i < lines.turned().length; i++) {
        var in = VariantCheck.tensors(s, lines.samples().samples().get(i));
        try (OrtSession.Result result = s.run(in)) {
          float[][] p = (float[][]) result.get(0).getValue();
          if ((p[0][1] > p[0][0]) == lines.turned()[i]) {
            right++;
          }
        }
        in.values().forEach(ai.onnxruntime.OnnxTensor::close);
      }
    }
    return right / (double) lines.turned().length;
  }

  private static final List<String> ONLY =
      List.of(System.getProperty("bench.variants", "").split(",")).stream()
          .filter(w -> !w.isBlank())
          .toList();

  private static boolean wanted(String name) {
    return ONLY.isEmpty()
        || ONLY.stream()
            .anyMatch(
                w ->
                    w.endsWith("*")
                        ? name.startsWith(w.substring(0, w.length() - 1))
                        : name.equals(w));
  }

  private static List<Variant> variants(Case c) {
    ModelProto parsed = OnnxGraphs.parse(c.reference());
    List<Variant> variants = new ArrayList<>();
    if (wanted("fp32 (itself)")) {
      variants.add(new Variant("fp32 (itself)", c.reference(), ""));
    }
    if (wanted("int8-dynamic")) {
      variants.add(
          new Variant(
              "int8-dynamic", Int8DynamicQuantizer.quantize(parsed).model().toByteArray(), ""));
    }
    try {
      if (wanted("int8-static minmax")) {
        variants.add(
            new Variant(
                "int8-static minmax",
                dev.modelfleet.server.quantization.graph.Int8StaticQuantizer.quantize(
                        parsed,
                        new CalibrationRuns(c.calibration()),
                        dev.modelfleet.server.quantization.graph.Int8StaticQuantizer.Method.MINMAX,
                        100)
                    .model()
                    .toByteArray(),
                ""));
      }
    } catch (DerivationException e) {
      System.err.println("int8-static: " + e.getMessage());
    }
    for (ActivationRanges.Method m : ActivationRanges.Method.values()) {
      String name =
          "int8-qdq " + m.wire() + (m == ActivationRanges.Method.PERCENTILE ? " 99.99" : "");
      if (!wanted(name)) {
        continue;
      }
      long t0 = System.nanoTime();
      var r = QdqDerivation.derive(parsed, c.reference(), c.calibration(), m, 99.99, null, 0);
      variants.add(
          new Variant(
              name,
              r.model().toByteArray(),
              String.format(Locale.ROOT, "derived in %.1f s", (System.nanoTime() - t0) / 1e9)));
    }
    for (ActivationRanges.Method m :
        List.of(ActivationRanges.Method.PERCENTILE, ActivationRanges.Method.ENTROPY)) {
      String name = "int8-qdq " + m.wire() + ", mixed precision (floor 0.99)";
      if (!wanted(name)) {
        continue;
      }
      long t0 = System.nanoTime();
      var r =
          QdqDerivation.derive(
              parsed, c.reference(), c.calibration(), m, 99.99, c.validation(), 0.99);
      variants.add(
          new Variant(
              name,
              r.model().toByteArray(),
              String.format(
                  Locale.ROOT,
                  "derived in %.1f s; %d kept float%s",
                  (System.nanoTime() - t0) / 1e9,
                  r.report().keptFloat().size(),
                  r.report().keptFloat().isEmpty()
                      ? ""
                      : ": "
                          + r.report().keptFloat().stream()
                              .map(o -> o.node() + " (" + o.reason().split(":")[0] + ")")
                              .toList())));
    }
    if (wanted("fp16")) {
      variants.add(new Variant("fp16", Derivations.loadableFp16(parsed).model().toByteArray(), ""));
    }
    return variants;
  }

  private static String row(Case c, Variant v) throws Exception {
    List<VariantCheck.OutputFigures> outputs =
        VariantCheck.outputFigures(c.reference(), v.model(), c.validation());
    Map<String, ValidationSet.Sample> sample = c.validation().samples().get(0);
    Timing none = new Timing(Double.NaN, Double.NaN, Double.NaN);
    Timing one = ROUNDS == 0 ? none : timing(c.reference(), v.model(), 1, sample);
    Timing two = ROUNDS == 0 ? none : timing(c.reference(), v.model(), 2, sample);
    double worstCosine =
        outputs.stream().mapToDouble(VariantCheck.OutputFigures::cosineSimilarity).min().orElse(0);
    double worstMaxAbs =
        outputs.stream().mapToDouble(VariantCheck.OutputFigures::maxAbsError).max().orElse(0);
    return String.format(
        Locale.ROOT,
        "| %s | %s | %.2f | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.4f | %.6f | %.4g | %s |%n",
        c.name(),
        v.name(),
        v.model().length / (double) c.reference().length,
        one.median(),
        one.p25(),
        one.p75(),
        two.median(),
        two.p25(),
        two.p75(),
        VariantCheck.accuracy(outputs),
        worstCosine,
        worstMaxAbs,
        v.note());
  }

  /** Median of per-round ratios and its interquartile range. */
  record Timing(double median, double p25, double p75) {}

  private static final int ROUNDS = Integer.getInteger("bench.rounds", 31);

  /**
   * Interleaved rounds, as jobs time variants, made sturdier for a loaded machine: in each round
   * the two sessions run alternately (~40 ms a side) and each side's fastest run counts, the least
   * disturbed by other processes; the ratio of the two is the round's.
   */
  static Timing timing(
      byte[] reference, byte[] candidate, int threads, Map<String, ValidationSet.Sample> sample)
      throws Exception {
    return timing(reference, candidate, threads, sample, ROUNDS);
  }

  /** The same over {@code rounds} rounds. */
  static Timing timing(
      byte[] reference,
      byte[] candidate,
      int threads,
      Map<String, ValidationSet.Sample> sample,
      int rounds)
      throws Exception {
    try (OrtSession.SessionOptions o = VariantCheck.options()) {
      o.setIntraOpNumThreads(threads);
      try (OrtSession a = VariantCheck.open(reference, o);
          OrtSession b = VariantCheck.open(candidate, o)) {
        var inA = VariantCheck.tensors(a, sample);
        var inB = VariantCheck.tensors(b, sample);
        long slowest = 0;
        for (int i = 0; i < 5; i++) {
          slowest = Math.max(slowest, Math.max(run(a, inA), run(b, inB)));
        }
        int runs = (int) Math.max(3, Math.min(200, 40_000_000L / Math.max(1, slowest)));
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          long bestA = Long.MAX_VALUE;
          long bestB = Long.MAX_VALUE;
          for (int i = 0; i < runs; i++) {
            if ((i + r) % 2 == 0) {
              bestA = Math.min(bestA, run(a, inA));
              bestB = Math.min(bestB, run(b, inB));
            } else {
              bestB = Math.min(bestB, run(b, inB));
              bestA = Math.min(bestA, run(a, inA));
            }
          }
          ratios[r] = bestB / (double) bestA;
        }
        inA.values().forEach(ai.onnxruntime.OnnxTensor::close);
        inB.values().forEach(ai.onnxruntime.OnnxTensor::close);
        java.util.Arrays.sort(ratios);
        return new Timing(ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]);
      }
    }
  }

  private static long run(OrtSession s, Map<String, ai.onnxruntime.OnnxTensor> in)
      throws Exception {
    long t0 = System.nanoTime();
    s.run(in).close();
    return System.nanoTime() - t0;
  }

  private static ValidationSet set(byte[] model, Map<String, List<Long>> shapes, int n, long seed) {
    return ValidationSet.synthesize(VariantCheck.inputs(model), shapes, n, seed);
  }
}
