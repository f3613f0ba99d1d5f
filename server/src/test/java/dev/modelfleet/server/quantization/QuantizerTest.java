package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.Fp16Converter;
import dev.modelfleet.server.quantization.graph.Int8DynamicQuantizer;
import dev.modelfleet.server.quantization.graph.Int8StaticQuantizer;
import dev.modelfleet.server.quantization.graph.Tensors;
import org.junit.jupiter.api.Test;

/** The graph rewrites alone, against ONNX Runtime, on models built here. */
class QuantizerTest {

  @Test
  void int8DynamicConvertsEveryConvAndGemmAndStaysClose() {
    for (boolean constants : new boolean[] {false, true}) {
      ModelProto cnn = TestModels.cnn(3, constants, false);
      var result = Int8DynamicQuantizer.quantize(cnn);
      assertEquals(5, result.report().converted().size(), result.report().toString());
      byte[] ref = cnn.toByteArray();
      var figures =
          VariantCheck.compare(
              ref,
              result.model().toByteArray(),
              ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
      assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.99, figures.toString());
    }
  }

  @Test
  void int8DynamicReachesWeightsInsideIfBranches() {
    ModelProto cnn = TestModels.cnn(4, true, true);
    var result = Int8DynamicQuantizer.quantize(cnn);
    assertEquals(10, result.report().converted().size(), result.report().toString());
    byte[] ref = cnn.toByteArray();
    var figures =
        VariantCheck.compare(
            ref,
            result.model().toByteArray(),
            ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
    assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.99, figures.toString());
  }

  @Test
  void int8DynamicOnTheSampleMlp() {
    byte[] ref = SampleModels.classifier(7, 64, 256, 10);
    var result = Int8DynamicQuantizer.quantize(OnnxGraphsTestAccess.parse(ref));
    assertEquals(2, result.report().converted().size());
    var figures =
        VariantCheck.compare(
            ref,
            result.model().toByteArray(),
            ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
    assertTrue(figures.accuracy() >= 0.9, figures.toString());
  }

  @Test
  void int8StaticUsesCalibratedConstantRangesAndStaysClose() {
    ModelProto cnn = TestModels.cnn(6, false, false);
    byte[] ref = cnn.toByteArray();
    ValidationSet calibration =
        ValidationSet.synthesize(VariantCheck.inputs(ref), java.util.Map.of(), 16, 7);
    for (Int8StaticQuantizer.Method method : Int8StaticQuantizer.Method.values()) {
      var result =
          Int8StaticQuantizer.quantize(cnn, new CalibrationRuns(calibration), method, 99.9);
      assertEquals(5, result.report().converted().size());
      assertTrue(
          result.report().converted().stream()
              .allMatch(o -> o.reason().contains("calibrated scale")),
          result.report().toString());
      assertTrue(
          result.model().getGraph().getNodeList().stream()
              .noneMatch(n -> n.getOpType().equals("DynamicQuantizeLinear")));
      var figures =
          VariantCheck.compare(
              ref,
              result.model().toByteArray(),
              ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
      assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.99, method + " " + figures);
    }
  }

  @Test
  void fp16KeepsFloatSignatureAndStaysClose() {
    ModelProto cnn = TestModels.cnn(5, false, true);
    var result = Fp16Converter.convert(cnn);
    byte[] ref = cnn.toByteArray();
    var figures =
        VariantCheck.compare(
            ref,
            result.model().toByteArray(),
            ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
    assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.999, figures.toString());
  }

  @Test
  void anOpsetUpgradeThatWouldChangeMeaningIsRefused() {
    // opset 9 TopK takes k as an attribute; raising the opset to 11 would change its meaning
    DerivationException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            DerivationException.class,
            () -> Int8DynamicQuantizer.quantize(TestModels.opset9TopK()));
    assertTrue(e.getMessage().contains("[TopK]"), e.getMessage());
  }

  @Test
  void halfPrecisionRoundsToNearestEvenAndClampsToTheHalfRange() {
    assertEquals((short) 0x3c00, Tensors.toHalf(1f));
    assertEquals((short) 0xc000, Tensors.toHalf(-2f));
    assertEquals((short) 0x7bff, Tensors.toHalf(1e6f));
    assertEquals((short) 0xfbff, Tensors.toHalf(-Float.MAX_VALUE));
    assertEquals((short) 0x0001, Tensors.toHalf(5.96e-8f)); // smallest subnormal
    assertEquals((short) 0x3c00, Tensors.toHalf(1f + 1f / 4096)); // halfway, rounds to even
    assertEquals((short) 0x3c01, Tensors.toHalf(1f + 3f / 4096)); // above halfway
  }
}
