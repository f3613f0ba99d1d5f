package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.onnx.compare.OutputComparator;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.Int8DynamicQuantizer;
import dev.modelfleet.server.quantization.graph.Int8QdqQuantizer;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A real DB-style text detector (e.g. PaddleOCR's ch_PP-OCRv4_det_infer.onnx, which is not in the
 * shared models: see docs/quantization.md for where it comes from) beside its derived variants, on
 * rendered text images ({@link TextImages}): size, latency relative to fp32 at 1 and 2 threads
 * (interleaved rounds, median of the per-round ratios and the interquartile range), and the task's
 * accuracy: IoU of the probability maps binarized at 0.3 (the detector's threshold), the share of
 * pixels that change side at 0.3, and cosine. Also the operator types of the graph ONNX Runtime
 * actually runs for each int8-qdq variant, so unfused QDQ pairs show.
 *
 * <p>The model's path: {@code -Dbench.detector=PATH} or {@code MODELFLEET_BENCH_DETECTOR}; skipped
 * without it. {@code -Dbench.sizes=320,640}, {@code -Dbench.samples=16}, {@code -Dbench.rounds=15}
 * (0: accuracy only), {@code -Dbench.variants=} (names to run, comma separated, a trailing * for a
 * prefix; all by default), {@code -Dbench.percentile=99.99}, {@code -Dbench.stem=1,3} (variants
 * with the first 1, 3 Conv float). Run it with {@code e2e/bench.sh quantization-detector}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class DetectorBenchmark {

  private static final double THRESHOLD = 0.3;

  private static final double PERCENTILE =
      Double.parseDouble(System.getProperty("bench.percentile", "99.99"));

  private record Variant(String name, byte[] model, String note) {}

  @Test
  void textDetectorVariants() throws Exception {
    String where = System.getProperty("bench.detector", System.getenv("MODELFLEET_BENCH_DETECTOR"));
    Assumptions.assumeTrue(
        where != null && !where.isBlank() && Files.isRegularFile(Path.of(where)),
        "no detector: set -Dbench.detector=PATH or MODELFLEET_BENCH_DETECTOR");
    byte[] fp32 = Files.readAllBytes(Path.of(where));
    String input = VariantCheck.inputs(fp32).keySet().iterator().next();
    int count = Integer.getInteger("bench.samples", 16);
    int rounds = Integer.getInteger("bench.rounds", 15);
    List<String> only =
        List.of(System.getProperty("bench.variants", "").split(",")).stream()
            .filter(s -> !s.isBlank())
            .toList();
    Path dir = Path.of(System.getProperty("bench.dir", "target/detector-bench"));
    Files.createDirectories(dir);
    StringBuilder out = new StringBuilder();
    for (String sizeText : System.getProperty("bench.sizes", "320,640").split(",")) {
      int size = Integer.parseInt(sizeText.trim());
      ValidationSet calibration = TextImages.set(input, size, count, 7);
      ValidationSet validation = TextImages.set(input, size, count, 42);
      out.append(
          String.format(
              Locale.ROOT,
              "%n### %s, input 1x3x%dx%d, %d calibration + %d validation images; fp32 map: %.1f %%"
                  + " of pixels above %.1f%n%n| variant | size | 1 thread (p25–p75) | 2 threads"
                  + " (p25–p75) | IoU@0.3 | flips@0.3 | cosine | note |%n|---|---|---|---|---|---|---|---|%n",
              Path.of(where).getFileName(),
              size,
              size,
              count,
              count,
              100 * aboveThreshold(fp32, validation),
              THRESHOLD));
      for (Variant v : variants(fp32, calibration, validation, only)) {
        Files.write(dir.resolve(v.name().replaceAll("[^A-Za-z0-9.-]+", "_") + ".onnx"), v.model());
        Map<String, Double> acc = accuracy(fp32, v.model(), validation);
        Map<String, ValidationSet.Sample> sample = validation.samples().get(0);
        // bench.rounds=0: accuracy only
        QdqBenchmark.Timing none = new QdqBenchmark.Timing(Double.NaN, Double.NaN, Double.NaN);
        QdqBenchmark.Timing one =
            rounds == 0 ? none : QdqBenchmark.timing(fp32, v.model(), 1, sample, rounds);
        QdqBenchmark.Timing two =
            rounds == 0 ? none : QdqBenchmark.timing(fp32, v.model(), 2, sample, rounds);
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %.2f | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.4f | %.4f | %.4f | %s |%n",
                v.name(),
                v.model().length / (double) fp32.length,
                one.median(),
                one.p25(),
                one.p75(),
                two.median(),
                two.p25(),
                two.p75(),
                acc.get("iou"),
                acc.get("flips"),
                acc.get("cosine"),
                v.note()));
        System.err.println(out);
      }
    }
    System.out.println(out);
  }

  /**
   * Variant files written by earlier runs (e.g. before and after a quantizer change), {@code
   * -Dbench.files=A,B}: each timed against fp32, and B against A directly, in interleaved rounds
   * ({@code -Dbench.rounds}), at 1 and 2 threads; with IoU@0.3 and the kernels ONNX Runtime runs.
   */
  @Test
  void variantFilesTimed() throws Exception {
    String where = System.getProperty("bench.detector", System.getenv("MODELFLEET_BENCH_DETECTOR"));
    String files = System.getProperty("bench.files", "");
    Assumptions.assumeTrue(
        where != null && !where.isBlank() && !files.isBlank(),
        "set -Dbench.detector=PATH and -Dbench.files=A,B");
    byte[] fp32 = Files.readAllBytes(Path.of(where));
    String input = VariantCheck.inputs(fp32).keySet().iterator().next();
    int size = Integer.parseInt(System.getProperty("bench.sizes", "320").split(",")[0].trim());
    int rounds = Integer.getInteger("bench.rounds", 15);
    ValidationSet validation = TextImages.set(input, size, 16, 42);
    Map<String, ValidationSet.Sample> sample = validation.samples().get(0);
    List<Path> paths = List.of(files.split(",")).stream().map(String::trim).map(Path::of).toList();
    StringBuilder out =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%n%dx%d, %d rounds%n%n| variant | against | 1 thread (p25–p75) | 2 threads (p25–p75)"
                    + " | IoU@0.3 | kernels |%n|---|---|---|---|---|---|%n",
                size,
                size,
                rounds));
    java.util.function.Consumer<Object[]> row =
        cells -> {
          try {
            byte[] ref = (byte[]) cells[2];
            byte[] v = (byte[]) cells[3];
            QdqBenchmark.Timing one = QdqBenchmark.timing(ref, v, 1, sample, rounds);
            QdqBenchmark.Timing two = QdqBenchmark.timing(ref, v, 2, sample, rounds);
            out.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.4f | %s |%n",
                    cells[0],
                    cells[1],
                    one.median(),
                    one.p25(),
                    one.p75(),
                    two.median(),
                    two.p25(),
                    two.p75(),
                    accuracy(fp32, v, validation).get("iou"),
                    optimisedOps(v)));
            System.err.println(out);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
    row.accept(new Object[] {"fp32", "fp32", fp32, fp32});
    for (Path p : paths) {
      row.accept(new Object[] {p.getFileName(), "fp32", fp32, Files.readAllBytes(p)});
    }
    for (int i = 1; i < paths.size(); i++) {
      row.accept(
          new Object[] {
            paths.get(i).getFileName(),
            paths.get(0).getFileName(),
            Files.readAllBytes(paths.get(0)),
            Files.readAllBytes(paths.get(i))
          });
    }
    System.out.println(out);
  }

  /**
   * Where int8-qdq loses the detector's accuracy: IoU@0.3 with one operator type, or one stretch of
   * the graph (in graph order), kept in float, and with ranges calibrated on the validation images
   * themselves (no range can then be exceeded: what is left is rounding).
   */
  @Test
  void whereAccuracyIsLost() throws Exception {
    String where = System.getProperty("bench.detector", System.getenv("MODELFLEET_BENCH_DETECTOR"));
    Assumptions.assumeTrue(
        where != null && !where.isBlank() && Files.isRegularFile(Path.of(where)),
        "no detector: set -Dbench.detector=PATH or MODELFLEET_BENCH_DETECTOR");
    byte[] fp32 = Files.readAllBytes(Path.of(where));
    String input = VariantCheck.inputs(fp32).keySet().iterator().next();
    int size = Integer.parseInt(System.getProperty("bench.sizes", "320").split(",")[0].trim());
    int count = Integer.getInteger("bench.samples", 16);
    ValidationSet calibration = TextImages.set(input, size, count, 7);
    ValidationSet validation = TextImages.set(input, size, count, 42);
    ModelProto pre =
        QdqDerivation.preprocess(OnnxGraphs.parse(fp32), new ArrayList<>(), new ArrayList<>());
    var names = dev.modelfleet.server.quantization.graph.Int8QdqQuantizer.activations(pre);
    ActivationRanges.Method method =
        ActivationRanges.Method.valueOf(System.getProperty("bench.method", "MINMAX"));
    Map<String, float[]> ranges =
        ActivationRanges.measure(
            pre,
            names,
            new CalibrationRuns(calibration),
            method,
            Double.parseDouble(System.getProperty("bench.percentile", "99.99")));
    Map<String, float[]> oracle =
        ActivationRanges.measure(pre, names, new CalibrationRuns(validation), method, 99.99);
    StringBuilder out =
        new StringBuilder("| kept in float | nodes | IoU@0.3 | cosine |\n|---|---|---|---|\n");
    java.util.function.BiConsumer<String, Map<String, String>> probe =
        (label, keep) -> {
          try {
            byte[] v =
                dev.modelfleet.server.quantization.graph.Int8QdqQuantizer.quantize(
                        pre, ranges, keep)
                    .model()
                    .toByteArray();
            Map<String, Double> acc = accuracy(fp32, v, validation);
            out.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %d | %.4f | %.4f |%n",
                    label,
                    keep.size(),
                    acc.get("iou"),
                    acc.get("cosine")));
            System.err.println(out);
          } catch (Exception e) {
            out.append("| " + label + " | failed: " + e.getMessage() + " | | |\n");
          }
        };
    probe.accept("nothing", Map.of());
    {
      byte[] v =
          dev.modelfleet.server.quantization.graph.Int8QdqQuantizer.quantize(pre, oracle, Map.of())
              .model()
              .toByteArray();
      Map<String, Double> acc = accuracy(fp32, v, validation);
      out.append(
          String.format(
              Locale.ROOT,
              "| nothing, ranges from the validation images | 0 | %.4f | %.4f |%n",
              acc.get("iou"),
              acc.get("cosine")));
    }
    List<NodeProto> nodes = pre.getGraph().getNodeList();
    java.util.Set<String> types = new java.util.TreeSet<>();
    nodes.forEach(n -> types.add(n.getOpType()));
    for (String type : types) {
      Map<String, String> keep = new java.util.LinkedHashMap<>();
      for (NodeProto n : nodes) {
        if (n.getOpType().equals(type)) {
          keep.put(label(n), "probe");
        }
      }
      probe.accept(type, keep);
    }
    int single = Integer.getInteger("bench.single", 0);
    for (int i = 0; i < Math.min(single, nodes.size()); i++) {
      NodeProto n = nodes.get(i);
      float[] r = ranges.get(n.getOutput(0));
      probe.accept(
          i
              + " "
              + n.getOpType()
              + " "
              + label(n)
              + " out "
              + (r == null ? "-" : r[0] + ".." + r[1])
              + " in "
              + n.getInputList(),
          Map.of(label(n), "probe"));
    }
    int stretches = Integer.getInteger("bench.stretches", 8);
    for (int i = 0; i < stretches; i++) {
      Map<String, String> keep = new java.util.LinkedHashMap<>();
      int from = nodes.size() * i / stretches;
      int to = nodes.size() * (i + 1) / stretches;
      for (NodeProto n : nodes.subList(from, to)) {
        keep.put(label(n), "probe");
      }
      probe.accept("nodes " + from + "–" + (to - 1) + " of " + nodes.size(), keep);
    }
    System.out.println(out);
  }

  private static List<Variant> variants(
      byte[] fp32, ValidationSet calibration, ValidationSet validation, List<String> only) {
    ModelProto parsed = OnnxGraphs.parse(fp32);
    List<Variant> variants = new ArrayList<>();
    if (wanted(only, "fp32 (itself)")) {
      variants.add(new Variant("fp32 (itself)", fp32, ""));
    }
    if (wanted(only, "int8-dynamic")) {
      variants.add(
          new Variant(
              "int8-dynamic", Int8DynamicQuantizer.quantize(parsed).model().toByteArray(), ""));
    }
    for (ActivationRanges.Method m : ActivationRanges.Method.values()) {
      String name =
          "int8-qdq "
              + m.wire()
              + (m == ActivationRanges.Method.PERCENTILE ? " " + PERCENTILE : "");
      if (!wanted(only, name)) {
        continue;
      }
      long t0 = System.nanoTime();
      var r = QdqDerivation.derive(parsed, fp32, calibration, m, PERCENTILE, null, 0);
      byte[] bytes = r.model().toByteArray();
      variants.add(
          new Variant(
              name,
              bytes,
              String.format(
                  Locale.ROOT,
                  "derived in %.1f s; ONNX Runtime runs %s",
                  (System.nanoTime() - t0) / 1e9,
                  optimisedOps(bytes))));
    }
    // the first bench.stem Conv kept float, the rest int8 (-Dbench.stem=1,3: one variant each)
    for (String k : System.getProperty("bench.stem", "").split(",")) {
      if (k.isBlank()) {
        continue;
      }
      // "N": Conv 0..N-1; "A-B": Conv A..B-1 (each with the operators feeding it)
      String[] bounds = k.trim().split("-");
      int from = bounds.length == 2 ? Integer.parseInt(bounds[0]) : 0;
      int first = Integer.parseInt(bounds[bounds.length - 1]);
      for (ActivationRanges.Method m : ActivationRanges.Method.values()) {
        String name =
            "int8-qdq "
                + m.wire()
                + (m == ActivationRanges.Method.PERCENTILE ? " " + PERCENTILE : "")
                + (from == 0 ? " with first " + first : " with " + from + "-" + (first - 1))
                + " Conv float";
        if (!wanted(only, name)) {
          continue;
        }
        ModelProto pre = QdqDerivation.preprocess(parsed, new ArrayList<>(), new ArrayList<>());
        Map<String, float[]> ranges =
            ActivationRanges.measure(
                pre,
                Int8QdqQuantizer.activations(pre),
                new CalibrationRuns(calibration),
                m,
                PERCENTILE);
        Map<String, String> keep = new java.util.LinkedHashMap<>();
        List<String> weighted = Int8QdqQuantizer.weightedNodes(pre);
        List<List<String>> stretches =
            Int8QdqQuantizer.stretches(pre, weighted.stream().map(List::of).toList());
        stretches.subList(from, first).forEach(st -> st.forEach(n -> keep.put(n, "bench")));
        byte[] bytes = Int8QdqQuantizer.quantize(pre, ranges, keep).model().toByteArray();
        variants.add(
            new Variant(name, bytes, "kept float: " + keep.keySet() + "; " + optimisedOps(bytes)));
      }
    }
    for (ActivationRanges.Method m :
        List.of(ActivationRanges.Method.MINMAX, ActivationRanges.Method.PERCENTILE)) {
      String search =
          "int8-qdq "
              + m.wire()
              + (m == ActivationRanges.Method.PERCENTILE ? " " + PERCENTILE : "")
              + " + search (iou@0.3>=0.95)";
      if (!wanted(only, search)) {
        continue;
      }
      long t0 = System.nanoTime();
      String output = VariantCheck.outputs(fp32).keySet().iterator().next();
      var r =
          QdqDerivation.derive(
              parsed,
              fp32,
              calibration,
              m,
              PERCENTILE,
              validation,
              0.99,
              Map.of(output, List.of(ComparisonSpec.parse("iou@0.3>=0.95"))));
      variants.add(
          new Variant(
              search,
              r.model().toByteArray(),
              String.format(
                  Locale.ROOT,
                  "derived in %.1f s; %d kept float (%d Conv); %s",
                  (System.nanoTime() - t0) / 1e9,
                  r.report().keptFloat().size(),
                  r.report().keptFloat().stream().filter(o -> o.opType().equals("Conv")).count(),
                  r.report().notes())));
    }
    if (wanted(only, "fp16")) {
      variants.add(new Variant("fp16", Derivations.loadableFp16(parsed).model().toByteArray(), ""));
    }
    return variants;
  }

  private static String label(NodeProto n) {
    return n.getName().isEmpty() ? n.getOpType() + "->" + n.getOutput(0) : n.getName();
  }

  private static boolean wanted(List<String> only, String name) {
    return only.isEmpty()
        || only.stream()
            .anyMatch(
                w ->
                    w.endsWith("*")
                        ? name.startsWith(w.substring(0, w.length() - 1))
                        : name.equals(w));
  }

  /** iou@0.3, flips@0.3 and cosine of the first output over all samples. */
  static Map<String, Double> accuracy(byte[] reference, byte[] candidate, ValidationSet set)
      throws Exception {
    OutputComparator iou = OutputComparator.of(ComparisonSpec.parse("iou@0.3>=0.95"));
    OutputComparator flips = OutputComparator.of(ComparisonSpec.parse("flips@0.3<=0.01"));
    OutputComparator cosine = OutputComparator.of(ComparisonSpec.parse("cosine>=0.99"));
    try (OrtSession.SessionOptions o = VariantCheck.options();
        OrtSession a = VariantCheck.open(reference, o);
        OrtSession b = VariantCheck.open(candidate, o)) {
      for (Map<String, ValidationSet.Sample> s : set.samples()) {
        float[] ra = firstOutput(a, s);
        float[] rb = firstOutput(b, s);
        for (OutputComparator c : List.of(iou, flips, cosine)) {
          c.add(ra, rb, null);
        }
      }
    }
    return Map.of("iou", iou.value(), "flips", flips.value(), "cosine", cosine.value());
  }

  private static double aboveThreshold(byte[] model, ValidationSet set) throws Exception {
    long above = 0;
    long all = 0;
    try (OrtSession.SessionOptions o = VariantCheck.options();
        OrtSession a = VariantCheck.open(model, o)) {
      for (Map<String, ValidationSet.Sample> s : set.samples()) {
        for (float v : firstOutput(a, s)) {
          above += v > THRESHOLD ? 1 : 0;
          all++;
        }
      }
    }
    return above / (double) all;
  }

  private static float[] firstOutput(OrtSession s, Map<String, ValidationSet.Sample> sample)
      throws Exception {
    Map<String, OnnxTensor> in = VariantCheck.tensors(s, sample);
    try (OrtSession.Result r = s.run(in)) {
      OnnxTensor t = (OnnxTensor) r.get(0);
      java.nio.FloatBuffer fb = t.getFloatBuffer();
      float[] v = new float[fb.remaining()];
      fb.get(v);
      return v;
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /** Operator types (with counts) of the graph ONNX Runtime runs at all optimisations. */
  static String optimisedOps(byte[] model) {
    try {
      Path tmp = Files.createTempFile("modelfleet-detector-", ".onnx");
      try (OrtSession.SessionOptions o = VariantCheck.options()) {
        o.setOptimizedModelFilePath(tmp.toString());
        VariantCheck.open(model, o).close();
        TreeMap<String, Integer> ops = new TreeMap<>();
        for (NodeProto n : OnnxGraphs.parse(Files.readAllBytes(tmp)).getGraph().getNodeList()) {
          ops.merge(n.getOpType(), 1, Integer::sum);
        }
        return ops.toString();
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (Exception e) {
      return "(could not read: " + e.getMessage() + ")";
    }
  }
}
