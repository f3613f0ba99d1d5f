package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.Int8QdqQuantizer;
import dev.modelfleet.server.quantization.graph.Int8StaticQuantizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Calibration in bounded groups of activations sees every activation of every sample once. */
class CalibrationRunsTest {

  @Test
  void groupsOfAnySizeSeeTheSameValuesAsOneRunExposingAll() {
    ModelProto net = QdqTestModels.convNet(1, 32, 16);
    byte[] reference = net.toByteArray();
    ValidationSet set = Int8QdqTest.samples(reference, 5, 7);
    ModelProto pre = QdqDerivation.preprocess(net, new ArrayList<>(), new ArrayList<>());
    Set<String> names = Int8QdqQuantizer.activations(pre);

    Map<String, float[]> together =
        ActivationRanges.measure(
            pre,
            names,
            new CalibrationRuns(set, Long.MAX_VALUE),
            ActivationRanges.Method.PERCENTILE,
            99.9);
    Map<String, float[]> apart =
        ActivationRanges.measure(
            pre, names, new CalibrationRuns(set, 1), ActivationRanges.Method.PERCENTILE, 99.9);
    assertEquals(together.keySet(), apart.keySet());
    together.forEach((name, range) -> assertArrayEquals(range, apart.get(name), name));

    // one group per activation: each is still seen once per sample
    Map<String, Integer> seen = new HashMap<>();
    Int8StaticQuantizer.ActivationRuns counted =
        (model, activations, values) ->
            new CalibrationRuns(set, 1)
                .run(
                    model,
                    activations,
                    (n, v) -> {
                      seen.merge(n, 1, Integer::sum);
                      values.accept(n, v);
                    });
    ActivationRanges.measure(pre, names, counted, ActivationRanges.Method.MINMAX, 100);
    assertEquals(together.size(), seen.size());
    seen.forEach((name, count) -> assertEquals(5, count, name));
  }
}
