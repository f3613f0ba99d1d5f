package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.server.quantization.graph.Fp16Converter;
import dev.modelfleet.server.quantization.graph.QuantizationReport.Op;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * fp16 of models whose stored values leave float16's range (a trained network's BatchNormalization
 * variances of 1e7): the variant must compute what the reference does, not a clamped copy of it.
 * Both run in ONNX Runtime on the same inputs.
 */
class Fp16RangeTest {

  private static final double RELATIVE_TOLERANCE = 1e-3;

  @Test
  void aBatchNormWithVariancesBeyondFloat16IsFoldedIntoItsConvAndStaysExact() throws Exception {
    ModelProto reference = TestModels.convBatchNorm(3, 1e7f);
    var result = Fp16Converter.convert(reference);

    double error = relativeError(reference, result.model(), TestModels.INPUT, 3, 16, 16, 1f);
    assertTrue(error < RELATIVE_TOLERANCE, "relative error " + error + "; " + result.report());
    assertTrue(
        has(result.report().converted(), "bn", "folded into conv"), result.report().toString());
    assertTrue(
        result.model().getGraph().getNodeList().stream()
            .noneMatch(n -> n.getOpType().equals("BatchNormalization")));
  }

  @Test
  void aBatchNormWithNoConvToFoldIntoRunsInFloat32AndTheReportSaysWhy() throws Exception {
    ModelProto reference = TestModels.batchNormAlone(4, 3e7f);
    var result = Fp16Converter.convert(reference);

    double error = relativeError(reference, result.model(), "x", 8, 4, 4, 3000f);
    assertTrue(error < RELATIVE_TOLERANCE, "relative error " + error + "; " + result.report());
    Op kept =
        result.report().keptFloat().stream()
            .filter(o -> o.node().equals("bn"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(result.report().toString()));
    assertEquals("BatchNormalization", kept.opType());
    assertTrue(kept.reason().contains("'var'") && kept.reason().contains("65504"), kept.reason());
    assertTrue(
        result.model().getGraph().getInitializerList().stream()
            .filter(t -> t.getName().equals("var"))
            .allMatch(
                t -> t.getDataType() == dev.modelfleet.server.quantization.graph.Tensors.FLOAT),
        "the variances stay float32");
  }

  @Test
  void valuesWithinRangeAreConvertedAsBefore() {
    var result = Fp16Converter.convert(TestModels.cnn(5, false, false));
    assertTrue(result.report().keptFloat().isEmpty(), result.report().toString());
  }

  private static boolean has(java.util.List<Op> ops, String node, String reason) {
    return ops.stream().anyMatch(o -> o.node().equals(node) && o.reason().contains(reason));
  }

  /**
   * max |reference − variant| / max |reference| over four seeded inputs of this shape (batch 1),
   * values Gaussian times {@code scale}.
   */
  private static double relativeError(
      ModelProto reference, ModelProto variant, String input, int c, int h, int w, float scale)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Random r = new Random(11);
    double maxDiff = 0;
    double maxRef = 0;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession ref = env.createSession(reference.toByteArray(), o);
        OrtSession var = env.createSession(variant.toByteArray(), o)) {
      for (int s = 0; s < 4; s++) {
        float[] x = new float[c * h * w];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) r.nextGaussian() * scale;
        }
        float[] a = run(env, ref, input, x, c, h, w);
        float[] b = run(env, var, input, x, c, h, w);
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
          maxRef = Math.max(maxRef, Math.abs(a[i]));
        }
      }
    }
    assertTrue(maxRef > 0, "the reference output is all zeros");
    return maxDiff / maxRef;
  }

  private static float[] run(
      OrtEnvironment env, OrtSession session, String input, float[] x, int c, int h, int w)
      throws OrtException {
    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, c, h, w});
        OrtSession.Result out = session.run(Map.of(input, t))) {
      FloatBuffer fb = ((OnnxTensor) out.get(0)).getFloatBuffer();
      float[] values = new float[fb.remaining()];
      fb.get(values);
      return values;
    }
  }
}
