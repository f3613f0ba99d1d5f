package dev.modelfleet.onnx.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
}
