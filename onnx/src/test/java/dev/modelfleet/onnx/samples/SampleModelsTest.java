package dev.modelfleet.onnx.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleModelsTest {

  @Test
  void classifierLoadsInOnnxRuntimeAndGivesAProbabilityPerClass() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(SampleModels.classifier(1));
        OnnxTensor input = OnnxTensor.createTensor(env, new float[][] {{1f, 2f, 3f, 4f}});
        OrtSession.Result result = session.run(Map.of(SampleModels.INPUT, input))) {
      float[][] probabilities = (float[][]) result.get(0).getValue();
      assertEquals(3, probabilities[0].length);
      double sum = 0;
      for (float p : probabilities[0]) {
        sum += p;
      }
      assertEquals(1.0, sum, 1e-5);
    }
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherModel() {
    assertArrayEquals(SampleModels.classifier(7), SampleModels.classifier(7));
    assertFalse(Arrays.equals(SampleModels.classifier(7), SampleModels.classifier(8)));
  }

  @Test
  void theSlowClassifierAnswersExactlyAsItsSeedsClassifierButTakesFarLonger() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[][] input = {{0.5f, -2f, 3f, 1f}, {4f, 0f, -1f, 2f}};
    try (OrtSession fast = env.createSession(SampleModels.classifier(9));
        OrtSession slow = env.createSession(SampleModels.slowClassifier(9, 8))) {
      assertArrayEquals(run(env, fast, input), run(env, slow, input));
      long fastNanos = timed(env, fast, input);
      long slowNanos = timed(env, slow, input);
      assertTrue(
          slowNanos > 20 * fastNanos, "slow " + slowNanos + " ns vs fast " + fastNanos + " ns");
    }
  }

  private static float[][] run(OrtEnvironment env, OrtSession session, float[][] input)
      throws Exception {
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, input);
        OrtSession.Result result = session.run(Map.of(SampleModels.INPUT, tensor))) {
      return (float[][]) result.get(0).getValue();
    }
  }

  /** The fastest of a few runs: the machine is shared, the best run is the model's own cost. */
  private static long timed(OrtEnvironment env, OrtSession session, float[][] input)
      throws Exception {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      run(env, session, input);
      best = Math.min(best, System.nanoTime() - start);
    }
    return best;
  }
}
