package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Where an int8-qdq variant spends its time, per operator type, beside fp32: ONNX Runtime's own
 * profiler (SessionOptions.enableProfiling) over the same runs of both, and the operator types left
 * in the graph ONNX Runtime actually runs (its optimised model, written out). Prints Markdown. Run
 * it with {@code e2e/bench.sh quantization-profile}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class QdqProfile {

  private static final int RUNS = Integer.getInteger("bench.runs", 300);

  @Test
  void perOperatorType() throws Exception {
    Path model =
        TestModels.shared("ch_ppocr_mobile_v2.0_cls_infer.onnx")
            .orElseThrow(() -> new org.opentest4j.TestAbortedException("no shared models"));
    byte[] fp32 = Files.readAllBytes(model);
    Map<String, List<Long>> shape = Map.of("x", List.of(1L, 3L, 48L, 192L));
    ValidationSet calibration = ValidationSet.synthesize(VariantCheck.inputs(fp32), shape, 16, 7);
    byte[] qdq =
        QdqDerivation.derive(
                OnnxGraphs.parse(fp32),
                fp32,
                calibration,
                ActivationRanges.Method.MINMAX,
                99.99,
                null,
                0)
            .model()
            .toByteArray();
    Path dir = Path.of(System.getProperty("bench.dir", "target/qdq-profile"));
    Files.createDirectories(dir);
    Files.write(dir.resolve("fp32.onnx"), fp32);
    Files.write(dir.resolve("int8-qdq.onnx"), qdq);
    Map<String, ValidationSet.Sample> sample = calibration.samples().get(0);
    StringBuilder out = new StringBuilder();
    for (int threads : new int[] {1, 2}) {
      Map<String, double[]> fp = profile(fp32, "fp32", threads, sample, dir);
      Map<String, double[]> q = profile(qdq, "int8-qdq", threads, sample, dir);
      out.append(
          String.format(
              Locale.ROOT,
              "%n%d thread(s), %d runs each, microseconds per run (sum of the op type's nodes)%n%n"
                  + "| op type | fp32 µs | fp32 nodes | int8-qdq µs | int8-qdq nodes |%n|---|---|---|---|---|%n",
              threads,
              RUNS));
      TreeMap<String, double[][]> all = new TreeMap<>();
      fp.forEach((k, v) -> all.computeIfAbsent(k, x -> new double[2][])[0] = v);
      q.forEach((k, v) -> all.computeIfAbsent(k, x -> new double[2][])[1] = v);
      double[] total = new double[2];
      all.forEach(
          (op, v) -> {
            out.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s |%n",
                    op,
                    v[0] == null ? "–" : String.format(Locale.ROOT, "%.1f", v[0][0]),
                    v[0] == null ? "–" : String.format(Locale.ROOT, "%.0f", v[0][1]),
                    v[1] == null ? "–" : String.format(Locale.ROOT, "%.1f", v[1][0]),
                    v[1] == null ? "–" : String.format(Locale.ROOT, "%.0f", v[1][1])));
            for (int i = 0; i < 2; i++) {
              total[i] += v[i] == null ? 0 : v[i][0];
            }
          });
      out.append(
          String.format(Locale.ROOT, "| **all nodes** | %.1f | | %.1f | |%n", total[0], total[1]));
    }
    System.out.println(out);
  }

  /**
   * The same per-operator-type profile for a real text detector ({@code -Dbench.detector=PATH} or
   * {@code MODELFLEET_BENCH_DETECTOR}; skipped without it) at {@code -Dbench.sizes=320} (the first
   * size), its int8-qdq variant calibrated by {@code -Dbench.method=MSE} on 16 rendered text
   * images: where the time goes at 1 and at 2 threads, and how each type scales from 1 to 2.
   */
  @Test
  void detectorPerOperatorType() throws Exception {
    String where = System.getProperty("bench.detector", System.getenv("MODELFLEET_BENCH_DETECTOR"));
    org.junit.jupiter.api.Assumptions.assumeTrue(
        where != null && !where.isBlank() && Files.isRegularFile(Path.of(where)),
        "no detector: set -Dbench.detector=PATH or MODELFLEET_BENCH_DETECTOR");
    byte[] fp32 = Files.readAllBytes(Path.of(where));
    String input = VariantCheck.inputs(fp32).keySet().iterator().next();
    int size = Integer.parseInt(System.getProperty("bench.sizes", "320").split(",")[0].trim());
    ValidationSet calibration = TextImages.set(input, size, 16, 7);
    ActivationRanges.Method method =
        ActivationRanges.Method.valueOf(System.getProperty("bench.method", "MSE"));
    byte[] qdq =
        QdqDerivation.derive(OnnxGraphs.parse(fp32), fp32, calibration, method, 99.99, null, 0)
            .model()
            .toByteArray();
    Path dir = Path.of(System.getProperty("bench.dir", "target/qdq-profile-detector"));
    Files.createDirectories(dir);
    Files.write(dir.resolve("int8-qdq.onnx"), qdq);
    Map<String, ValidationSet.Sample> sample = TextImages.set(input, size, 1, 42).samples().get(0);
    Map<Integer, Map<String, double[]>> fp = new TreeMap<>();
    Map<Integer, Map<String, double[]>> q = new TreeMap<>();
    for (int threads : new int[] {1, 2}) {
      fp.put(threads, profile(fp32, "fp32", threads, sample, dir));
      q.put(threads, profile(qdq, "int8-qdq", threads, sample, dir));
    }
    StringBuilder out =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%n%s at %dx%d, int8-qdq %s; %d runs each, µs per run summed over the type's"
                    + " nodes (nodes)%n%n| op type | fp32 1 thr | fp32 2 thr | fp32 2/1 |"
                    + " int8-qdq 1 thr | int8-qdq 2 thr | int8-qdq 2/1 |%n"
                    + "|---|---|---|---|---|---|---|%n",
                Path.of(where).getFileName(),
                size,
                size,
                method.wire(),
                RUNS));
    java.util.Set<String> types = new java.util.TreeSet<>();
    fp.values().forEach(m -> types.addAll(m.keySet()));
    q.values().forEach(m -> types.addAll(m.keySet()));
    double[] total = new double[4];
    for (String t : types) {
      double[] cells = {
        us(fp.get(1), t), us(fp.get(2), t), us(q.get(1), t), us(q.get(2), t),
      };
      for (int i = 0; i < 4; i++) {
        total[i] += cells[i];
      }
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f (%s) | %.0f | %s | %.0f (%s) | %.0f | %s |%n",
              t,
              cells[0],
              nodes(fp.get(1), t),
              cells[1],
              ratio(cells[1], cells[0]),
              cells[2],
              nodes(q.get(1), t),
              cells[3],
              ratio(cells[3], cells[2])));
    }
    out.append(
        String.format(
            Locale.ROOT,
            "| **all nodes** | %.0f | %.0f | %s | %.0f | %.0f | %s |%n",
            total[0],
            total[1],
            ratio(total[1], total[0]),
            total[2],
            total[3],
            ratio(total[3], total[2])));
    System.out.println(out);
  }

  /**
   * The generated conv net's int8-qdq variants calibrated by minmax and by mse, profiled per
   * operator type at 1 thread: the same kernels, so a difference in time is in the kernels' work on
   * the values (QdqBenchmark measured mse ~5 % slower on this model).
   */
  @Test
  void convNetMseAgainstMinmax() throws Exception {
    byte[] fp32 = QdqTestModels.convNet(1, 128, 32).toByteArray();
    ValidationSet calibration =
        ValidationSet.synthesize(VariantCheck.inputs(fp32), Map.of(), 16, 7);
    Path dir = Path.of(System.getProperty("bench.dir", "target/qdq-profile-convnet"));
    Files.createDirectories(dir);
    Map<String, ValidationSet.Sample> sample =
        ValidationSet.synthesize(VariantCheck.inputs(fp32), Map.of(), 1, 42).samples().get(0);
    Map<String, Map<String, double[]>> byMethod = new java.util.LinkedHashMap<>();
    for (ActivationRanges.Method m :
        List.of(ActivationRanges.Method.MINMAX, ActivationRanges.Method.MSE)) {
      byte[] q =
          QdqDerivation.derive(OnnxGraphs.parse(fp32), fp32, calibration, m, 99.99, null, 0)
              .model()
              .toByteArray();
      Files.write(dir.resolve(m.wire() + ".onnx"), q);
      byMethod.put(m.wire(), profile(q, m.wire(), 1, sample, dir));
    }
    // and minmax once more, after mse, so drift over the run shows
    byMethod.put(
        "minmax again",
        profile(Files.readAllBytes(dir.resolve("minmax.onnx")), "minmax2", 1, sample, dir));
    java.util.Set<String> types = new java.util.TreeSet<>();
    byMethod.values().forEach(m -> types.addAll(m.keySet()));
    StringBuilder out =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%nconv net, 1 thread, %d runs each, µs per run (nodes)%n%n| op type | minmax |"
                    + " mse | minmax again | mse / minmax |%n|---|---|---|---|---|%n",
                RUNS));
    double[] total = new double[3];
    for (String t : types) {
      double a = us(byMethod.get("minmax"), t);
      double b = us(byMethod.get("mse"), t);
      double c = us(byMethod.get("minmax again"), t);
      total[0] += a;
      total[1] += b;
      total[2] += c;
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f (%s) | %.1f (%s) | %.1f | %s |%n",
              t,
              a,
              nodes(byMethod.get("minmax"), t),
              b,
              nodes(byMethod.get("mse"), t),
              c,
              ratio(b, (a + c) / 2)));
    }
    out.append(
        String.format(
            Locale.ROOT,
            "| **all nodes** | %.1f | %.1f | %.1f | %s |%n",
            total[0],
            total[1],
            total[2],
            ratio(total[1], (total[0] + total[2]) / 2)));
    System.out.println(out);
  }

  private static double us(Map<String, double[]> profile, String type) {
    double[] v = profile.get(type);
    return v == null ? 0 : v[0];
  }

  private static String nodes(Map<String, double[]> profile, String type) {
    double[] v = profile.get(type);
    return v == null ? "0" : String.format(Locale.ROOT, "%.0f", v[1]);
  }

  private static String ratio(double a, double b) {
    return b == 0 ? "–" : String.format(Locale.ROOT, "%.2f", a / b);
  }

  /**
   * Wall-clock latency of int8-qdq variants that keep chosen operator types in float, each against
   * fp32 in its own interleaved rounds (QdqBenchmark's timing), at 1 and 2 threads.
   */
  @Test
  void keepingOperatorTypesInFloat() throws Exception {
    Path model =
        TestModels.shared("ch_ppocr_mobile_v2.0_cls_infer.onnx")
            .orElseThrow(() -> new org.opentest4j.TestAbortedException("no shared models"));
    byte[] fp32 = Files.readAllBytes(model);
    Map<String, List<Long>> shape = Map.of("x", List.of(1L, 3L, 48L, 192L));
    ValidationSet calibration = ValidationSet.synthesize(VariantCheck.inputs(fp32), shape, 16, 7);
    ValidationSet validation = ValidationSet.synthesize(VariantCheck.inputs(fp32), shape, 16, 42);
    ModelProto pre =
        QdqDerivation.preprocess(
            OnnxGraphs.parse(fp32), new java.util.ArrayList<>(), new java.util.ArrayList<>());
    Map<String, float[]> ranges =
        ActivationRanges.measure(
            pre,
            dev.modelfleet.server.quantization.graph.Int8QdqQuantizer.activations(pre),
            new CalibrationRuns(calibration),
            ActivationRanges.Method.MINMAX,
            99.99);
    Map<String, java.util.Set<String>> choices = new java.util.LinkedHashMap<>();
    choices.put("all int8", java.util.Set.of());
    for (String types :
        System.getProperty("bench.float", "MaxPool;GlobalAveragePool;Add,Mul").split(";")) {
      choices.put(types, java.util.Set.of(types.split(",")));
    }
    List<String> depthwise =
        dev.modelfleet.server.quantization.graph.Int8QdqQuantizer.depthwiseConvs(pre);
    StringBuilder out =
        new StringBuilder(
            "| kept in float | 1 thread (p25–p75) | 2 threads (p25–p75) | accuracy |\n|---|---|---|---|\n");
    Map<String, ValidationSet.Sample> sample = validation.samples().get(0);
    QdqBenchmark.Timing control = QdqBenchmark.timing(fp32, fp32, 1, sample);
    out.append(
        String.format(
            Locale.ROOT,
            "| fp32 against itself | %.2f (%.2f–%.2f) | | |%n",
            control.median(),
            control.p25(),
            control.p75()));
    for (boolean dw : new boolean[] {false, true}) {
      for (var c : choices.entrySet()) {
        Map<String, String> keep = new java.util.LinkedHashMap<>();
        for (NodeProto n : pre.getGraph().getNodeList()) {
          if (c.getValue().contains(n.getOpType())) {
            keep.put(
                n.getName().isEmpty() ? n.getOpType() + "->" + n.getOutput(0) : n.getName(),
                "bench");
          }
        }
        if (dw) {
          depthwise.forEach(d -> keep.put(d, "bench"));
        }
        byte[] v =
            dev.modelfleet.server.quantization.graph.Int8QdqQuantizer.quantize(pre, ranges, keep)
                .model()
                .toByteArray();
        QdqBenchmark.Timing one = QdqBenchmark.timing(fp32, v, 1, sample);
        QdqBenchmark.Timing two = QdqBenchmark.timing(fp32, v, 2, sample);
        out.append(
            String.format(
                Locale.ROOT,
                "| %s%s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.4f |%n",
                c.getKey(),
                dw ? " + depthwise Conv" : "",
                one.median(),
                one.p25(),
                one.p75(),
                two.median(),
                two.p25(),
                two.p75(),
                VariantCheck.accuracy(fp32, v, validation)));
        System.err.println(out);
      }
    }
    // as a job derives it: the search on (default comparators at 0.99), its decisions reported
    var job =
        QdqDerivation.derive(
            OnnxGraphs.parse(fp32),
            fp32,
            calibration,
            ActivationRanges.Method.MINMAX,
            99.99,
            validation,
            0.99);
    byte[] v = job.model().toByteArray();
    QdqBenchmark.Timing one = QdqBenchmark.timing(fp32, v, 1, sample);
    QdqBenchmark.Timing two = QdqBenchmark.timing(fp32, v, 2, sample);
    out.append(
        String.format(
            Locale.ROOT,
            "| as a job derives it (search on, floor 0.99) | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) |"
                + " %.4f |%n%nkept in float: %s%nnotes: %s%n",
            one.median(),
            one.p25(),
            one.p75(),
            two.median(),
            two.p25(),
            two.p75(),
            VariantCheck.accuracy(fp32, v, validation),
            job.report().keptFloat().stream().map(o -> o.node() + ": " + o.reason()).toList(),
            job.report().notes()));
    System.out.println(out);
  }

  /** op type → [µs per run, nodes of that type in the graph ONNX Runtime runs]. */
  private static Map<String, double[]> profile(
      byte[] model, String name, int threads, Map<String, ValidationSet.Sample> sample, Path dir)
      throws Exception {
    Path optimised = dir.resolve(name + "-optimised.onnx");
    Map<String, double[]> perType = new TreeMap<>();
    Map<String, String> typeOf = new java.util.HashMap<>();
    try (OrtSession.SessionOptions o = VariantCheck.options()) {
      o.setIntraOpNumThreads(threads);
      o.setOptimizedModelFilePath(optimised.toString());
      o.enableProfiling(dir.resolve(name + "-" + threads).toString());
      try (OrtSession s = VariantCheck.open(model, o)) {
        Map<String, OnnxTensor> in = VariantCheck.tensors(s, sample);
        for (int i = 0; i < RUNS; i++) {
          s.run(in).close();
        }
        in.values().forEach(OnnxTensor::close);
        String file = s.endProfiling();
        // the graph ONNX Runtime ran is written when the session opens: name → type, a Conv's
        // type split by kind (depthwise: one input channel per group)
        for (NodeProto n :
            OnnxGraphs.parse(Files.readAllBytes(optimised)).getGraph().getNodeList()) {
          typeOf.put(n.getName(), typeName(n));
        }
        JsonNode events = new ObjectMapper().readTree(Path.of(file).toFile());
        for (JsonNode e : events) {
          if ("Node".equals(e.path("cat").asText())
              && e.path("name").asText().endsWith("_kernel_time")) {
            String node = e.path("name").asText().replaceAll("_kernel_time$", "");
            String op = typeOf.getOrDefault(node, e.path("args").path("op_name").asText());
            perType.computeIfAbsent(op, k -> new double[2])[0] += e.path("dur").asDouble() / RUNS;
          }
        }
      }
    }
    for (NodeProto n : OnnxGraphs.parse(Files.readAllBytes(optimised)).getGraph().getNodeList()) {
      perType.computeIfAbsent(typeName(n), k -> new double[2])[1]++;
    }
    return perType;
  }

  private static String typeName(NodeProto n) {
    if (!n.getOpType().endsWith("Conv")) {
      return n.getOpType();
    }
    long group =
        n.getAttributeList().stream()
            .filter(a -> a.getName().equals("group"))
            .mapToLong(a -> a.getI())
            .findFirst()
            .orElse(1);
    return n.getOpType() + (group > 1 ? " (grouped/depthwise)" : " (dense)");
  }
}
