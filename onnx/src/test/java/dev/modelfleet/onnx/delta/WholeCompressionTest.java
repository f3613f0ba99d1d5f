package dev.modelfleet.onnx.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WholeCompressionTest {

  @TempDir Path dir;

  private byte[] compressed(byte[] artifact) throws IOException {
    Path file = Files.write(dir.resolve("artifact-" + Arrays.hashCode(artifact)), artifact);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long written = WholeCompression.compress(file, out);
    assertEquals(out.size(), written);
    return out.toByteArray();
  }

  private static byte[] decompressed(byte[] compressed, long maxBytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WholeCompression.decompress(new ByteArrayInputStream(compressed), out, maxBytes);
    return out.toByteArray();
  }

  @Test
  void fp32_weights_shrink_and_come_back_byte_for_byte() throws IOException {
    byte[] model = SampleModels.classifier(5, 64, 1024, 10); // ~300 kB of Gaussian fp32 weights

    byte[] compressed = compressed(model);

    assertTrue(
        compressed.length < 0.95 * model.length,
        "fp32 weights: " + compressed.length + " of " + model.length + " bytes");
    assertArrayEquals(model, decompressed(compressed, model.length));
  }

  @Test
  void bytes_that_look_random_like_quantized_weights_hardly_shrink() throws IOException {
    byte[] weights = new byte[300_000];
    new Random(3).nextBytes(weights);

    byte[] compressed = compressed(weights);

    assertTrue(compressed.length > 0.99 * weights.length, compressed.length + " bytes");
    assertArrayEquals(weights, decompressed(compressed, weights.length));
  }

  @Test
  void a_file_that_decompresses_past_the_signed_size_is_stopped() throws IOException {
    byte[] zeros = new byte[5_000_000]; // a tiny file that would fill a disk
    byte[] compressed = compressed(zeros);

    DeltaException refused =
        assertThrows(DeltaException.class, () -> decompressed(compressed, 1_000_000));
    assertTrue(refused.getMessage().contains("more than the signed"), refused.getMessage());
  }

  @Test
  void a_truncated_or_corrupt_file_is_refused() throws IOException {
    byte[] model = SampleModels.classifier(6, 64, 256, 10);
    byte[] compressed = compressed(model);
    byte[] truncated = Arrays.copyOf(compressed, compressed.length / 2);
    byte[] corrupt = compressed.clone();
    corrupt[corrupt.length / 2] ^= 0x5a;

    assertThrows(DeltaException.class, () -> decompressed(truncated, model.length));
    assertThrows(DeltaException.class, () -> decompressed(corrupt, model.length));
    assertThrows(DeltaException.class, () -> decompressed("not zstd".getBytes(), model.length));
  }
}
