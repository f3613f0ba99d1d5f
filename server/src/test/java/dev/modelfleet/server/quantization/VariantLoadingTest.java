package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.server.quantization.graph.Fp16Converter;
import org.junit.jupiter.api.Test;

/**
 * A variant ONNX Runtime cannot load as devices open it (all graph optimisations): its layer-norm
 * fusion fails with a type error on the float16 form of a written-out layer normalisation.
 */
class VariantLoadingTest {

  @Test
  void fp16KeepsTheOperatorAFusionBreaksOnInFloat32AndThenLoadsAsDevicesDo() {
    ModelProto model = TestModels.layerNorm(2);
    byte[] reference = model.toByteArray();

    Derivations.Derived derived = Derivations.derive(model, DerivationKind.FP16, null, reference);

    assertNull(VariantCheck.loadFailure(derived.model()), derived.report().toString());
    assertTrue(
        derived.report().keptFloat().stream().anyMatch(o -> o.node().equals("scale")),
        derived.report().toString());
    assertTrue(
        derived.report().notes().stream().anyMatch(n -> n.contains("LayerNormalization")),
        derived.report().toString());
    VariantCheck.Figures figures =
        VariantCheck.compare(
            reference,
            derived.model(),
            ValidationSet.synthesize(VariantCheck.inputs(reference), 4));
    assertEquals("all", figures.loading().level());
    assertTrue(figures.accuracy() > 0.999, figures.toString());
  }

  @Test
  void aVariantThatLoadsOnlyWithOptimisationsOffIsMeasuredThereAndTheWholeReasonKept() {
    ModelProto model = TestModels.layerNorm(2);
    byte[] reference = model.toByteArray();
    byte[] plain = Fp16Converter.convert(model).model().toByteArray();

    VariantCheck.Figures figures =
        VariantCheck.compare(
            reference, plain, ValidationSet.synthesize(VariantCheck.inputs(reference), 4));

    assertEquals("disabled", figures.loading().level(), figures.toString());
    String why = figures.loading().failure();
    assertTrue(why.contains("LayerNormalization") && why.contains("in node ("), why);
    assertTrue(figures.accuracy() > 0.999, figures.toString());
  }

  @Test
  void latencyIsTimedInterleavedRoundsWithTheSpreadReported() {
    ModelProto cnn = TestModels.cnn(8, false, false);
    byte[] reference = cnn.toByteArray();
    byte[] fp16 = Fp16Converter.convert(cnn).model().toByteArray();

    VariantCheck.Latency l =
        VariantCheck.compare(
                reference, fp16, ValidationSet.synthesize(VariantCheck.inputs(reference), 1))
            .latency();

    assertTrue(l.rounds() >= 3, l.toString());
    assertTrue(l.min() <= l.ratio() && l.ratio() <= l.max(), l.toString());
    assertTrue(l.referenceMs() > 0 && l.variantMs() > 0, l.toString());
  }
}
