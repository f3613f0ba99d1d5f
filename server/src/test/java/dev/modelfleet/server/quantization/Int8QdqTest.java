package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.Int8DynamicQuantizer;
import dev.modelfleet.server.quantization.graph.QuantizationReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * int8-qdq against ONNX Runtime: the layout its CPU provider fuses into integer kernels, checked on
 * the graph ONNX Runtime itself makes of the variant, and the accuracy that layout keeps.
 */
class Int8QdqTest {

  @Test
  void aConvNetBecomesQdqThatOnnxRuntimeFusesIntoIntegerKernelsAndStaysClose() throws Exception {
    ModelProto net = QdqTestModels.convNet(1, 32, 16);
    byte[] reference = net.toByteArray();
    Int8DynamicQuantizer.Result result =
        QdqDerivation.derive(
            net,
            reference,
            samples(reference, 8, 7),
            ActivationRanges.Method.PERCENTILE,
            99.99,
            null,
            0);
    ModelProto q = result.model();

    // every Conv and the Gemm read input, weight and bias through their own DequantizeLinear,
    // the weight int8 per output channel and the bias int32, as ONNX Runtime's selectors want
    Map<String, NodeProto> producers = new HashMap<>();
    q.getGraph().getNodeList().forEach(n -> n.getOutputList().forEach(o -> producers.put(o, n)));
    Map<String, TensorProto> initializers = new HashMap<>();
    q.getGraph().getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    int weighted = 0;
    for (NodeProto n : q.getGraph().getNodeList()) {
      if (!List.of("Conv", "Gemm").contains(n.getOpType())) {
        continue;
      }
      weighted++;
      for (int i = 0; i < n.getInputCount(); i++) {
        NodeProto p = producers.get(n.getInput(i));
        assertEquals("DequantizeLinear", p == null ? null : p.getOpType(), n.getName() + " " + i);
      }
      TensorProto w = initializers.get(producers.get(n.getInput(1)).getInput(0));
      assertEquals(TensorProto.DataType.INT8_VALUE, w.getDataType(), n.getName());
      TensorProto b = initializers.get(producers.get(n.getInput(2)).getInput(0));
      assertEquals(TensorProto.DataType.INT32_VALUE, b.getDataType(), n.getName());
    }
    assertEquals(7, weighted);

    Map<String, Integer> fused = opCounts(optimized(q.toByteArray()));
    assertEquals(6, fused.getOrDefault("QLinearConv", 0), fused.toString());
    assertEquals(0, fused.getOrDefault("Conv", 0), fused.toString());
    assertEquals(0, fused.getOrDefault("BatchNormalization", 0), fused.toString());
    assertTrue(fused.containsKey("QLinearAdd"), fused.toString());
    assertTrue(fused.containsKey("QLinearConcat"), fused.toString());
    assertTrue(fused.containsKey("QLinearGlobalAveragePool"), fused.toString());

    VariantCheck.Figures figures =
        VariantCheck.compare(reference, q.toByteArray(), samples(reference, 8, 42));
    assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.99, figures.toString());
    assertTrue(figures.accuracy() >= 0.99, figures.toString());
  }

  @Test
  void matMulsWithStoredWeightsBecomeIntegerMatMuls() throws Exception {
    ModelProto net = QdqTestModels.matMulNet(2, 16, 64, 2);
    byte[] reference = net.toByteArray();
    Int8DynamicQuantizer.Result result =
        QdqDerivation.derive(
            net, reference, samples(reference, 8, 7), ActivationRanges.Method.MINMAX, 100, null, 0);
    Map<String, Integer> fused = opCounts(optimized(result.model().toByteArray()));
    // ONNX Runtime's pre-processing turns MatMul + Add into Gemm; either way an integer kernel
    int integer =
        fused.getOrDefault("QLinearMatMul", 0)
            + fused.getOrDefault("MatMulIntegerToFloat", 0)
            + fused.getOrDefault("QGemm", 0);
    assertEquals(5, integer, fused.toString());
    assertEquals(0, fused.getOrDefault("MatMul", 0), fused.toString());
    assertEquals(0, fused.getOrDefault("Gemm", 0), fused.toString());
    VariantCheck.Figures figures =
        VariantCheck.compare(reference, result.model().toByteArray(), samples(reference, 8, 42));
    assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.99, figures.toString());
    assertTrue(figures.accuracy() >= 0.95, figures.toString()); // top-1 of 128 rows
  }

  @Test
  void hardSwishAndHardSigmoidBecomeOperatorsWithIntegerKernels() throws Exception {
    ModelProto net = QdqTestModels.hardSwishNet(4); // opset 9: raised to 13 on the way
    byte[] reference = net.toByteArray();
    Int8DynamicQuantizer.Result result =
        QdqDerivation.derive(
            net, reference, samples(reference, 8, 7), ActivationRanges.Method.MINMAX, 100, null, 0);
    Map<String, Integer> fused = opCounts(optimized(result.model().toByteArray()));
    assertEquals(0, fused.getOrDefault("Div", 0), fused.toString());
    assertEquals(0, fused.getOrDefault("HardSigmoid", 0), fused.toString());
    assertEquals(0, fused.getOrDefault("Mul", 0), fused.toString());
    assertEquals(2, fused.getOrDefault("QLinearConv", 0), fused.toString()); // the last: output
    // x · gate and z · g stay multiplications of two tensors; "/ 6" and hard-sigmoid's slope
    // (multiplications by a positive constant) fold into the scale their readers dequantize with
    assertEquals(2, fused.getOrDefault("QLinearMul", 0), fused.toString());
    assertTrue(
        result.report().converted().stream()
            .anyMatch(o -> o.reason().startsWith("a multiplication by the constant")),
        result.report().toString());
    double cosine =
        VariantCheck.outputFigures(
                reference, result.model().toByteArray(), samples(reference, 8, 42))
            .get(0)
            .cosineSimilarity();
    assertTrue(cosine > 0.99, "cosine " + cosine);
  }

  @Test
  void mixedPrecisionKeepsTheSensitiveConvInFloatUntilTheFloorHolds() {
    ModelProto net = QdqTestModels.sensitive(3);
    byte[] reference = net.toByteArray();
    ValidationSet calibration = samples(reference, 8, 7);
    ValidationSet validation = samples(reference, 8, 42);

    Int8DynamicQuantizer.Result allInt8 =
        QdqDerivation.derive(
            net, reference, calibration, ActivationRanges.Method.MINMAX, 100, null, 0);
    double before = VariantCheck.accuracy(reference, allInt8.model().toByteArray(), validation);
    assertTrue(before < 0.99, "all int8 should miss the floor: " + before);

    Int8DynamicQuantizer.Result mixed =
        QdqDerivation.derive(
            net, reference, calibration, ActivationRanges.Method.MINMAX, 100, validation, 0.99);
    double after = VariantCheck.accuracy(reference, mixed.model().toByteArray(), validation);
    assertTrue(after >= 0.99, "mixed precision: " + after + " " + mixed.report());
    List<QuantizationReport.Op> kept = mixed.report().keptFloat();
    assertEquals(1, kept.size(), kept.toString());
    assertEquals("sensitive", kept.get(0).node());
    assertTrue(kept.get(0).reason().startsWith("mixed precision"), kept.toString());
    assertTrue(
        mixed.report().converted().stream().anyMatch(o -> o.node().equals("a")),
        mixed.report().toString());
  }

  @Test
  void mixedPrecisionKeepsTheElementwiseOperatorsFeedingTheSensitiveConvInFloatToo() {
    // the large channel reaches the sensitive Conv through an Add: keeping the Conv alone float
    // leaves the Add reading it quantized (the search probed Conv/MatMul/Gemm only, and missed
    // the floor on PaddleOCR's PP-OCRv4 detector for that reason)
    ModelProto net = QdqTestModels.sensitive(3, true);
    byte[] reference = net.toByteArray();
    ValidationSet calibration = samples(reference, 8, 7);
    ValidationSet validation = samples(reference, 8, 42);
    Int8DynamicQuantizer.Result allInt8 =
        QdqDerivation.derive(
            net, reference, calibration, ActivationRanges.Method.MINMAX, 100, null, 0);
    double before = VariantCheck.accuracy(reference, allInt8.model().toByteArray(), validation);
    assertTrue(before < 0.99, "all int8 should miss the floor: " + before);

    Int8DynamicQuantizer.Result mixed =
        QdqDerivation.derive(
            net, reference, calibration, ActivationRanges.Method.MINMAX, 100, validation, 0.99);
    double after = VariantCheck.accuracy(reference, mixed.model().toByteArray(), validation);
    assertTrue(after >= 0.99, "mixed precision: " + after + " " + mixed.report());
    List<String> kept =
        mixed.report().keptFloat().stream().map(QuantizationReport.Op::node).toList();
    assertEquals(List.of("shift", "sensitive"), kept, mixed.report().toString());
    assertTrue(
        mixed.report().converted().stream().anyMatch(o -> o.node().equals("a")),
        mixed.report().toString());
  }

  @Test
  void mixedPrecisionJudgesCandidatesByTheJobsComparators() {
    ModelProto net = QdqTestModels.sensitive(3);
    byte[] reference = net.toByteArray();
    ValidationSet calibration = samples(reference, 8, 7);
    ValidationSet validation = samples(reference, 8, 42);
    String scores = net.getGraph().getOutput(0).getName();

    // by the default comparator (cosine) at a lax floor, all int8 passes: nothing kept float
    Int8DynamicQuantizer.Result lax =
        QdqDerivation.derive(
            net, reference, calibration, ActivationRanges.Method.MINMAX, 100, validation, 0.5);
    assertTrue(
        lax.report().keptFloat().stream().noneMatch(o -> o.reason().startsWith("mixed")),
        lax.report().toString());

    // the job names a stricter comparator for the scores: the search must meet that one
    Map<String, List<ComparisonSpec>> strict =
        Map.of(scores, List.of(ComparisonSpec.parse("cosine>=0.99")));
    assertTrue(
        !VariantCheck.judge(reference, lax.model().toByteArray(), validation, strict, 0.5).passes(),
        "all int8 should miss cosine>=0.99");
    Int8DynamicQuantizer.Result mixed =
        QdqDerivation.derive(
            net,
            reference,
            calibration,
            ActivationRanges.Method.MINMAX,
            100,
            validation,
            0.5,
            strict);
    List<QuantizationReport.Op> kept = mixed.report().keptFloat();
    assertEquals(List.of("sensitive"), kept.stream().map(QuantizationReport.Op::node).toList());
    assertTrue(kept.get(0).reason().contains("cosine"), kept.toString());
    VariantCheck.Judgement judged =
        VariantCheck.judge(reference, mixed.model().toByteArray(), validation, strict, 0.5);
    assertTrue(judged.passes(), judged + " " + mixed.report());
  }

  @Test
  void aConvWhoseOnlyReaderHasNoIntegerFormStillRunsAsAnIntegerKernel() throws Exception {
    ModelProto net = QdqTestModels.headNet(5);
    byte[] reference = net.toByteArray();
    Int8DynamicQuantizer.Result result =
        QdqDerivation.derive(
            net, reference, samples(reference, 8, 7), ActivationRanges.Method.MSE, 99.99, null, 0);

    // the head Conv's output is quantized for the ConvTranspose to dequantize: both Conv fuse,
    // none runs in float on dequantized weights
    Map<String, Integer> fused = opCounts(optimized(result.model().toByteArray()));
    assertEquals(2, fused.getOrDefault("QLinearConv", 0), fused.toString());
    assertEquals(
        0, fused.getOrDefault("Conv", 0) + fused.getOrDefault("FusedConv", 0), fused.toString());
    assertEquals(1, fused.getOrDefault("ConvTranspose", 0), fused.toString());
    VariantCheck.Figures figures =
        VariantCheck.compare(reference, result.model().toByteArray(), samples(reference, 8, 42));
    assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.999, figures.toString());
  }

  @Test
  void anUnknownCalibrationMethodIsRefusedListingEveryMethodWhicheverKindAsks() {
    DerivationViews.Calibration median =
        new DerivationViews.Calibration(null, "median", null, null);
    for (Runnable check :
        List.<Runnable>of(() -> Derivations.qdqMethod(median), () -> Derivations.method(median))) {
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, check::run);
      assertTrue(
          e.getMessage().startsWith("calibration method 'median' is unknown; use "),
          e.getMessage());
      for (ActivationRanges.Method m : ActivationRanges.Method.values()) {
        assertTrue(e.getMessage().contains(m.wire()), e.getMessage());
      }
    }
    DerivationViews.Calibration mse = new DerivationViews.Calibration(null, "mse", null, null);
    assertEquals(ActivationRanges.Method.MSE, Derivations.qdqMethod(mse));
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> Derivations.method(mse));
    assertEquals(
        "calibration method 'mse' is for int8-qdq; int8-static takes minmax or percentile",
        e.getMessage());
  }

  static ValidationSet samples(byte[] model, int count, long seed) {
    return ValidationSet.synthesize(VariantCheck.inputs(model), Map.of(), count, seed);
  }

  /** The graph ONNX Runtime runs: the model after its extended optimisations (QDQ fusions). */
  static ModelProto optimized(byte[] model) throws Exception {
    Path out = Files.createTempFile("qdq-optimized", ".onnx");
    try (OrtSession.SessionOptions o = VariantCheck.options()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      o.setOptimizedModelFilePath(out.toString());
      VariantCheck.open(model, o).close();
      return ModelProto.parseFrom(Files.readAllBytes(out));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  static Map<String, Integer> opCounts(ModelProto model) {
    Map<String, Integer> counts = new TreeMap<>();
    model.getGraph().getNodeList().forEach(n -> counts.merge(n.getOpType(), 1, Integer::sum));
    return counts;
  }
}
