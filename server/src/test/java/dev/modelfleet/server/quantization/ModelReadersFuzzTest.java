package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.modelfleet.onnx.OnnxModelReader;
import dev.modelfleet.onnx.UnsafeModelException;
import dev.modelfleet.onnx.testing.FuzzInputs;
import dev.modelfleet.server.common.ApiException;
import dev.modelfleet.server.model.CostEstimator;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server's model readers on any bytes: the one reader's check and graph summary, the cost
 * estimate from it, and the full parse and graph rewrites a derivation runs (int8 dynamic, fp16).
 * Each either succeeds or refuses with the errors its caller turns into an answer: a 422, or a
 * variant failed with its reason. Anything else (a RuntimeException, an Error) would be a 500 or a
 * job ended as "internal error": a crash. ONNX Runtime is not called here; what reaches it has
 * passed the same check. {@code ./mvnw -Pfuzz verify} fuzzes it; every build replays the seeds and
 * every input a fuzzing run found (a Gemm without an output crashed the int8 rewrite before the
 * graph's shape was checked: crash-gemm-without-output).
 */
class ModelReadersFuzzTest {

  static final CostEstimator COSTS = new CostEstimator();

  @FuzzTest(maxDuration = "60s")
  void readsEstimatesAndRewritesOrRefuses(byte[] data) {
    try {
      COSTS.estimate(OnnxModelReader.read(data).graph());
    } catch (UnsafeModelException refused) {
      return;
    }
    ModelProto model;
    try {
      model = OnnxGraphs.parse(data);
    } catch (ApiException | DerivationException refused) {
      return;
    }
    for (DerivationKind kind :
        new DerivationKind[] {DerivationKind.INT8_DYNAMIC, DerivationKind.FP16}) {
      try {
        Derivations.derive(model, kind, null, data);
      } catch (DerivationException | IllegalArgumentException | ApiException refused) {
        // refused with a reason the job records
      }
    }
  }

  static List<Path> keptInputs() {
    return FuzzInputs.of(ModelReadersFuzzTest.class, "readsEstimatesAndRewritesOrRefuses");
  }

  @ParameterizedTest
  @MethodSource("keptInputs")
  void everyKeptInputStillReadsOrIsRefused(Path input) throws Exception {
    readsEstimatesAndRewritesOrRefuses(Files.readAllBytes(input));
  }
}
