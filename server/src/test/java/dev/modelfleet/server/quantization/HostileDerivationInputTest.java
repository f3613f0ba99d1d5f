package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.onnx.testing.HostileModels;
import dev.modelfleet.onnx.testing.HostileModels.Hideout;
import dev.modelfleet.server.common.ApiException;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import org.junit.jupiter.api.Test;

/**
 * A hostile model that reached the store before the safety check existed (or a rewrite that made
 * one) never reaches ONNX Runtime in a derivation: not as the reference parsed for rewriting, not
 * as a session for inputs, comparison or calibration.
 */
class HostileDerivationInputTest {

  final byte[] hostile = HostileModels.externalData(Hideout.SUBGRAPH, "data/keys/director.key", 48);
  final byte[] honest = TestModels.cnn(1, false, false).toByteArray();

  @Test
  void theReferenceIsCheckedBeforeItIsParsedForRewriting() {
    assertEquals(
        "model-external-data",
        assertThrows(ApiException.class, () -> OnnxGraphs.parse(hostile)).error().code());
  }

  @Test
  void everySessionADerivationOpensIsChecked() {
    assertEquals(
        "model-external-data",
        assertThrows(ApiException.class, () -> VariantCheck.inputs(hostile)).error().code());
    ValidationSet set = ValidationSet.synthesize(VariantCheck.inputs(honest), 1);
    assertEquals(
        "model-external-data",
        assertThrows(ApiException.class, () -> VariantCheck.compare(honest, hostile, set))
            .error()
            .code());
    assertEquals(
        "model-external-data",
        assertThrows(ApiException.class, () -> VariantCheck.compare(hostile, honest, set))
            .error()
            .code());
  }
}
