package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The NumPy sample reader on files NumPy 2.4 wrote (src/test/resources/npy, made by np.save and
 * np.savez) and on hostile ones: each refusal names what is wrong and which code it maps to.
 */
class SampleFileReaderTest {

  /** Like the regressor: x [N, 16] float. */
  private static final Map<String, SampleFileReader.Input> REGRESSOR =
      Map.of("x", new SampleFileReader.Input(true, new long[] {-1, 16}));

  @Test
  void readsAStackOfSamplesAsNumpyWroteItInEachFloatTypeAndHeaderVersion() throws IOException {
    for (String file : List.of("stack-f4.npy", "stack-f2.npy", "stack-f4-v2.npy")) {
      ValidationSet set = load(file, REGRESSOR);
      assertEquals(3, set.samples().size(), file);
      for (int s = 0; s < 3; s++) {
        ValidationSet.Sample x = set.samples().get(s).get("x");
        assertArrayEquals(new long[] {1, 16}, x.shape(), file);
        for (int i = 0; i < 16; i++) {
          // np.arange(48) * 0.5 - 4: exact in float16 too
          assertEquals(
              (s * 16 + i) * 0.5f - 4, x.floats()[i], file + " sample " + s + " [" + i + "]");
        }
      }
    }
  }

  @Test
  void oneSampleOfTheInputsOwnRankAndIntegerTypes() throws IOException {
    ValidationSet images = load("one-u1.npy", REGRESSOR);
    assertEquals(1, images.samples().size());
    assertEquals(15f, images.samples().get(0).get("x").floats()[15]);

    Map<String, SampleFileReader.Input> ids =
        Map.of("ids", new SampleFileReader.Input(false, new long[] {1, 16}));
    ValidationSet tokens = load("one-i8.npy", ids);
    assertEquals(-8L, tokens.samples().get(0).get("ids").longs()[0]);
    assertEquals(7L, tokens.samples().get(0).get("ids").longs()[15]);
  }

  @Test
  void anNpzFeedsEachInputByNameStoredOrCompressed() throws IOException {
    Map<String, SampleFileReader.Input> twoInputs = new LinkedHashMap<>();
    twoInputs.put("x", new SampleFileReader.Input(true, new long[] {-1, 16}));
    twoInputs.put("mask", new SampleFileReader.Input(false, new long[] {-1, 16}));
    for (String file : List.of("two-inputs.npz", "two-inputs-compressed.npz")) {
      SampleFileReader.Summary summary =
          SampleFileReader.check(new ByteArrayInputStream(NpyFiles.resource(file)), twoInputs);
      assertEquals("npz", summary.format());
      assertEquals(3, summary.samples());
      assertEquals(List.of(1L, 16L), summary.shapes().get("mask"));
      ValidationSet set = load(file, twoInputs);
      assertEquals(3, set.samples().size());
      assertEquals(-4f + 16 * 0.5f, set.samples().get(1).get("x").floats()[0], file);
      assertEquals((16 + 2) % 3, set.samples().get(1).get("mask").longs()[2], file);
    }
  }

  @Test
  void pickledObjectsFortranOrderAndBigEndianAreRefused() {
    refused("objects.npy", REGRESSOR, ApiError.INVALID_SAMPLES, "pickled");
    refused("fortran.npy", REGRESSOR, ApiError.INVALID_SAMPLES, "Fortran");
    refused("big-endian.npy", REGRESSOR, ApiError.INVALID_SAMPLES, "'>f4'");
  }

  @Test
  void hostileHeadersAreRefusedBeforeAnyDataIsRead() {
    byte[] good = NpyFiles.floats(new float[32], 2, 1, 16);
    byte[] badMagic = good.clone();
    badMagic[1] = 'X';
    refused(badMagic, REGRESSOR, ApiError.INVALID_SAMPLES, "neither a NumPy .npy");
    byte[] notNumpy = good.clone();
    notNumpy[5] = 'X';
    refused(notNumpy, REGRESSOR, ApiError.INVALID_SAMPLES, "does not start with");

    // a header that claims 60 KB (NumPy itself stops at 10,000 bytes)
    byte[] longHeader = NpyFiles.header("{" + " ".repeat(60_000) + "}");
    refused(longHeader, REGRESSOR, ApiError.INVALID_SAMPLES, "limit is 4096");

    refused(
        header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"),
        REGRESSOR,
        ApiError.SAMPLES_TOO_LARGE,
        "above the limit");
    refused(
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 16), }"),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "below 10^18");
    refused(
        header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 16), }"),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "structured");
    refused(
        header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 16), '__class__': 'os.system'}"),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "only descr, fortran_order and shape");
    refused(
        header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 16), }"),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "twice");
    refused(
        header("{'descr': '<f4', 'fortran_order': False, 'shape': ((1, 16),), }"),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "tuple of sizes");
    refused(
        header("{'descr': '<f4', 'fortran_order': 0, 'shape': (1, 16), }"),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "neither True nor False");
    refused(
        header("{'descr': '<f4', 'shape': (1, 16), }"),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "lacks fortran_order");
  }

  @Test
  void dataThatDisagreesWithTheHeaderOrTheModelIsRefused() {
    byte[] good = NpyFiles.floats(new float[32], 2, 1, 16);
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 5);
    refused(truncated, REGRESSOR, ApiError.INVALID_SAMPLES, "truncated");
    byte[] trailing = NpyFiles.concat(good, new byte[] {1});
    refused(trailing, REGRESSOR, ApiError.INVALID_SAMPLES, "bytes after");

    refused(
        NpyFiles.floats(new float[34], 2, 1, 17),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "input 'x' takes [-1, 16]");
    refused(
        NpyFiles.floats(new float[16], 16), REGRESSOR, ApiError.INVALID_SAMPLES, "has shape [16]");
    refused(
        NpyFiles.floats(new float[32], 2, 1, 16),
        Map.of("ids", new SampleFileReader.Input(false, new long[] {-1, 16})),
        ApiError.INVALID_SAMPLES,
        "cannot feed the integer input");
    refused(
        NpyFiles.floats(new float[0], 0, 1, 16), REGRESSOR, ApiError.INVALID_SAMPLES, "0 samples");
  }

  @Test
  void anNpzMayHoldOnlyOneArrayPerInput() {
    byte[] x = NpyFiles.floats(new float[32], 2, 1, 16);
    refused(
        NpyFiles.npz(Map.of("../../etc/x.npy", x)),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "may hold only <input>.npy");
    refused(
        NpyFiles.npz(Map.of("x.npy", x, "y.npy", x)),
        REGRESSOR,
        ApiError.INVALID_SAMPLES,
        "may hold only <input>.npy");
    Map<String, SampleFileReader.Input> two = new LinkedHashMap<>();
    two.put("x", REGRESSOR.get("x"));
    two.put("z", REGRESSOR.get("x"));
    refused(NpyFiles.npz(Map.of("x.npy", x)), two, ApiError.INVALID_SAMPLES, "no array for");
    refused(
        NpyFiles.npz(Map.of("x.npy", x, "z.npy", NpyFiles.floats(new float[48], 3, 1, 16))),
        two,
        ApiError.INVALID_SAMPLES,
        "different numbers of samples");
    refused(x, two, ApiError.INVALID_SAMPLES, "send an .npz");
  }

  /**
   * 64 MiB of samples (16 of [1, 1024, 1024] float) checked while the reader allocates less than 1
   * MiB: the data goes through one buffer, never into the heap.
   */
  @Test
  void checkingA64MiBFileHoldsOnlyABoundedBuffer() throws IOException {
    Map<String, SampleFileReader.Input> image =
        Map.of("x", new SampleFileReader.Input(true, new long[] {1, 1024, 1024}));
    byte[] header = NpyFiles.header(NpyFiles.dict("<f4", false, 16, 1, 1024, 1024));
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    SampleFileReader.Summary summary =
        SampleFileReader.check(NpyFiles.streamed(header, 64L << 20), image);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertEquals(16, summary.samples());
    assertTrue(allocated < (1 << 20), "the check allocated " + allocated + " bytes");
  }

  @Test
  void anUploadPastTheSizeLimitIsRefusedAsItArrives() {
    java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
    java.io.InputStream body =
        new java.io.FilterInputStream(NpyFiles.streamed(new byte[0], 64L << 20)) {
          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            read.addAndGet(Math.max(n, 0));
            return n;
          }
        };
    ApiException e =
        assertThrows(
            ApiException.class,
            () ->
                new SampleFiles.Limited(body, 1 << 20)
                    .transferTo(java.io.OutputStream.nullOutputStream()));
    assertEquals(ApiError.SAMPLES_TOO_LARGE, e.error());
    assertTrue(read.get() <= (1 << 20) + (1 << 16), "read " + read.get() + " bytes");
  }

  private static byte[] header(String dict) {
    return NpyFiles.concat(
        NpyFiles.header(dict), "padding so that data is there".getBytes(StandardCharsets.UTF_8));
  }

  private static ValidationSet load(String resource, Map<String, SampleFileReader.Input> inputs)
      throws IOException {
    return SampleFileReader.load(new ByteArrayInputStream(NpyFiles.resource(resource)), inputs);
  }

  private static void refused(
      String resource, Map<String, SampleFileReader.Input> inputs, ApiError code, String detail) {
    refused(NpyFiles.resource(resource), inputs, code, detail);
  }

  private static void refused(
      byte[] file, Map<String, SampleFileReader.Input> inputs, ApiError code, String detail) {
    SampleFileException e =
        assertThrows(
            SampleFileException.class,
            () -> SampleFileReader.check(new ByteArrayInputStream(file), inputs));
    ApiException problem = e.problem();
    assertEquals(code.code(), problem.error().code(), e.getMessage());
    assertTrue(e.getMessage().contains(detail), e.getMessage());
  }
}
