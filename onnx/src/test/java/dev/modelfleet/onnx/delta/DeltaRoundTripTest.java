package dev.modelfleet.onnx.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaRoundTripTest {

  /** Spans three segments, the last one short. */
  private static final int SIZE = 2 * DeltaFormat.SEGMENT + 1_234_567;

  @TempDir static Path dir;
  private static Path base;
  private static byte[] baseBytes;

  @BeforeAll
  static void writeBase() throws IOException {
    baseBytes = new byte[SIZE];
    new Random(7).nextBytes(baseBytes); // weights look random to a compressor
    base = Files.write(dir.resolve("base.onnx"), baseBytes);
  }

  /** Changes one float in {@code every} in the last quarter: a fine-tune of the last layers. */
  private static byte[] fineTuned(int every) {
    byte[] target = baseBytes.clone();
    Random random = new Random(11);
    for (int i = SIZE * 3 / 4 / 4 * 4; i + 4 <= SIZE; i += 4 * every) {
      target[i + random.nextInt(2)] ^= (byte) (1 + random.nextInt(255));
    }
    return target;
  }

  private static byte[] delta(byte[] target) throws IOException {
    Path file = Files.write(dir.resolve("target-" + Arrays.hashCode(target)), target);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DeltaMaker.make(base, file, out);
    return out.toByteArray();
  }

  private static byte[] apply(Path onto, byte[] delta) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DeltaApplier.apply(onto, new ByteArrayInputStream(delta), out);
    return out.toByteArray();
  }

  @Test
  void a_fine_tuned_copy_comes_back_byte_for_byte_from_a_small_delta() throws IOException {
    byte[] target = fineTuned(10);
    byte[] delta = delta(target);

    assertArrayEquals(target, apply(base, delta));
    assertTrue(delta.length < SIZE / 10, "delta of " + delta.length + " bytes for " + SIZE);
  }

  @Test
  void bytes_inserted_early_shift_the_rest_and_are_still_matched() throws IOException {
    byte[] target = new byte[SIZE + 1000];
    System.arraycopy(baseBytes, 0, target, 0, 5000);
    System.arraycopy(baseBytes, 5000, target, 6000, SIZE - 5000);
    byte[] delta = delta(target);

    assertArrayEquals(target, apply(base, delta));
    assertTrue(delta.length < SIZE / 20, "delta of " + delta.length + " bytes for " + SIZE);
  }

  @Test
  void a_target_unrelated_to_the_base_still_round_trips() throws IOException {
    byte[] target = new byte[1_000_000];
    new Random(99).nextBytes(target);

    assertArrayEquals(target, apply(base, delta(target)));
  }

  @Test
  void a_corrupt_frame_is_refused() throws IOException {
    byte[] delta = delta(fineTuned(10));
    delta[delta.length / 2] ^= 0x55;

    assertThrows(DeltaException.class, () -> apply(base, delta));
  }

  @Test
  void a_truncated_delta_is_refused() throws IOException {
    byte[] delta = delta(fineTuned(10));

    assertThrows(DeltaException.class, () -> apply(base, Arrays.copyOf(delta, delta.length - 1)));
    assertThrows(DeltaException.class, () -> apply(base, Arrays.copyOf(delta, 10)));
  }

  @Test
  void a_base_of_the_same_size_but_other_bytes_is_refused() throws IOException {
    byte[] delta = delta(fineTuned(10));
    byte[] other = baseBytes.clone();
    other[100] ^= 1; // inside the first segment's dictionary
    Path wrong = Files.write(dir.resolve("wrong.onnx"), other);

    assertThrows(DeltaException.class, () -> apply(wrong, delta));
  }

  @Test
  void a_base_of_another_size_is_refused_before_decoding() throws IOException {
    byte[] delta = delta(fineTuned(10));
    Path shorter = Files.write(dir.resolve("short.onnx"), Arrays.copyOf(baseBytes, SIZE - 1));

    DeltaException refused = assertThrows(DeltaException.class, () -> apply(shorter, delta));
    assertTrue(refused.getMessage().contains("base"), refused.getMessage());
  }

  @Test
  void a_header_declaring_huge_parts_is_refused() throws IOException {
    byte[] delta = delta(fineTuned(10));
    delta[4] = 0x7f; // segment size field, now about 2 GB

    assertThrows(DeltaException.class, () -> apply(base, delta));
  }
}
