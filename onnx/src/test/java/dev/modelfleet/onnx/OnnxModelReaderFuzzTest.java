package dev.modelfleet.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.modelfleet.onnx.testing.FuzzInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whatever bytes arrive, the reader either returns a summary or refuses with an {@link
 * UnsafeModelException}: no other exception, no StackOverflowError, no allocation beyond its
 * limits. {@code ./mvnw -Pfuzz verify} fuzzes it; every build replays the seeds and every input a
 * fuzzing run found (src/test/resources/.../OnnxModelReaderFuzzTestInputs).
 */
class OnnxModelReaderFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void readsOrRefusesAnyBytes(byte[] data) {
    try {
      OnnxModelReader.read(data);
    } catch (UnsafeModelException expected) {
      // a refusal is the right answer to most inputs
    }
  }

  static List<Path> keptInputs() {
    return FuzzInputs.of(OnnxModelReaderFuzzTest.class, "readsOrRefusesAnyBytes");
  }

  @ParameterizedTest
  @MethodSource("keptInputs")
  void everyKeptInputStillReadsOrIsRefused(Path input) throws Exception {
    readsOrRefusesAnyBytes(Files.readAllBytes(input));
  }
}
