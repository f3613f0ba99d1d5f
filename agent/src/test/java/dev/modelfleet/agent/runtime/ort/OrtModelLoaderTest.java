package dev.modelfleet.agent.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelLoadException;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ONNX Runtime adds to loading, the part the deploy tests leave to a fake loader: the safety
 * check before ONNX Runtime sees a file, and the CPU fallback for a provider this build lacks.
 */
class OrtModelLoaderTest {

  @TempDir Path dir;

  @Test
  void aFileThatIsNotAModelIsRefusedBeforeOnnxRuntimeSeesIt() throws Exception {
    Path file = Files.write(dir.resolve("garbage.onnx"), "not an onnx model at all".getBytes());
    ModelLoadException e =
        assertThrows(ModelLoadException.class, () -> new OrtModelLoader(1).load(file));
    assertEquals("model-malformed", e.reasonCode());
    assertTrue(e.getMessage().contains("refused before ONNX Runtime saw it"), e.getMessage());
  }

  @Test
  void aVariantForAProviderThisBuildLacksRunsOnTheCpuAndSaysSo() throws Exception {
    Path file = Files.write(dir.resolve("classifier.onnx"), SampleModels.classifier(1));
    try (LoadedModel model = new OrtModelLoader(1).load(file, "cuda")) {
      assertEquals("cpu", model.executionProvider(), "this build has no CUDA");
      List<Tensor> out =
          model.infer(
              List.of(
                  new Tensor(
                      SampleModels.INPUT, "FP32", new long[] {1, 4}, new float[] {1, 2, 3, 4})),
              Set.of());
      assertEquals(SampleModels.OUTPUT, out.get(0).name());
    }
  }
}
