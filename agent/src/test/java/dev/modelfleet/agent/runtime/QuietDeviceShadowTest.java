package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.agent.testing.Eventually;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device with no live traffic shadows on the operator's validation set: real ONNX Runtime models
 * (the serving one and the candidate), a real NumPy file, the same comparison as live samples.
 */
class QuietDeviceShadowTest {

  @TempDir Path dir;

  private final OrtModelLoader loader = new OrtModelLoader(1);

  /** An .npy as numpy.save writes it: magic, version 1.0, a padded header, the data. */
  static byte[] npy(String descr, long[] shape, float[] values) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String header =
        "{'descr': '"
            + descr
            + "', 'fortran_order': False, 'shape': ("
            + dims.toString().strip().replaceAll(",$", shape.length == 1 ? "," : "")
            + "), }";
    int total = 10 + header.length() + 1;
    header = header + " ".repeat((64 - total % 64) % 64) + "\n";
    ByteBuffer out =
        ByteBuffer.allocate(10 + header.length() + values.length * 4)
            .order(ByteOrder.LITTLE_ENDIAN);
    out.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1);
    out.put((byte) 0).putShort((short) header.length());
    out.put(header.getBytes(StandardCharsets.US_ASCII));
    for (float v : values) {
      out.putFloat(v);
    }
    return out.array();
  }

  static float[] randomInputs(int samples, long seed) {
    Random random = new Random(seed);
    float[] values = new float[samples * 4];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * 3);
    }
    return values;
  }

  private Path model(String name, long seed) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, SampleModels.classifier(seed));
    return file;
  }

  private static ShadowModel.ServingRunner servingOf(ModelRegistry registry) {
    return inputs -> {
      ServedModel serving = registry.acquire("m");
      if (serving == null) {
        return null;
      }
      try {
        long start = System.nanoTime();
        List<Tensor> outputs = serving.model().infer(inputs, Set.of());
        return new ShadowModel.ServingRun(serving.version(), outputs, System.nanoTime() - start);
      } finally {
        serving.release();
      }
    };
  }

  private ShadowModel quietShadow(ModelRegistry registry, long candidateSeed, Duration idle)
      throws Exception {
    Path set = dir.resolve("validation.npy");
    Files.write(set, npy("<f4", new long[] {20, 1, 4}, randomInputs(20, 7)));
    LoadedModel candidate = loader.load(model("candidate.onnx", candidateSeed));
    List<List<Tensor>> samples = ValidationInputs.read(set, candidate.inputs());
    assertEquals(20, samples.size());
    return new ShadowModel(
        "m",
        "2",
        "sha-2",
        new ShadowSettings("top1>=0.99", 0.5, 100, "sha-set", 0),
        candidate,
        new ShadowModel.Validation(samples, idle, 100, servingOf(registry)));
  }

  @Test
  void anAgreeingCandidateIsComparedOnTheValidationSetAloneAndNoRequestIsCounted()
      throws Exception {
    ModelRegistry registry = new ModelRegistry();
    registry.swap(new ServedModel("m", "1", "m-1", "sha-1", loader.load(model("v1.onnx", 1))));
    try (ShadowModel shadow = quietShadow(registry, 1, Duration.ZERO)) {
      Eventually.within(
          Duration.ofSeconds(20), () -> assertTrue(shadow.figures().compared() >= 40));
      ShadowModel.Figures f = shadow.figures();
      assertEquals(f.compared(), f.validationCompared(), "every sample came from the set");
      assertTrue(f.passes(), f.toString());
      assertEquals(1.0, f.value(), 1e-9);
      assertEquals("1", f.servingVersion());
      assertEquals(0, f.candidateFailures());
      assertTrue(f.candidateP95Ms() > 0 && f.servingP95Ms() > 0, f.toString());
    }
    // validation runs are no live requests: the serving version answered none
    assertEquals(0, registry.totals("m").get(0).success());
    registry.closeAll();
  }

  @Test
  void aDisagreeingCandidateFailsTheComparisonOnTheValidationSet() throws Exception {
    ModelRegistry registry = new ModelRegistry();
    registry.swap(new ServedModel("m", "1", "m-1", "sha-1", loader.load(model("v1.onnx", 1))));
    try (ShadowModel shadow = quietShadow(registry, 2, Duration.ZERO)) {
      Eventually.within(
          Duration.ofSeconds(20), () -> assertTrue(shadow.figures().compared() >= 20));
      ShadowModel.Figures f = shadow.figures();
      assertFalse(f.passes(), f.toString());
      assertTrue(f.value() < 0.99, f.toString());
      assertEquals(f.compared(), f.validationCompared());
    }
    registry.closeAll();
  }

  @Test
  void liveTrafficKeepsTheValidationSetIdle() throws Exception {
    ModelRegistry registry = new ModelRegistry();
    registry.swap(new ServedModel("m", "1", "m-1", "sha-1", loader.load(model("v1.onnx", 1))));
    try (ShadowModel shadow = quietShadow(registry, 1, Duration.ofSeconds(60))) {
      List<Tensor> input =
          List.of(new Tensor(SampleModels.INPUT, "FP32", new long[] {1, 4}, randomInputs(1, 3)));
      for (int i = 0; i < 40; i++) {
        ServedModel serving = registry.acquire("m");
        try {
          List<Tensor> served = serving.infer(input, Set.of());
          shadow.offer("1", input, Set.of(), served, 1_000_000);
        } finally {
          serving.release();
        }
        Thread.sleep(10);
      }
      Eventually.within(Duration.ofSeconds(20), () -> assertTrue(shadow.figures().compared() >= 5));
      Thread.sleep(300);
      assertEquals(0, shadow.figures().validationCompared(), "live samples only");
    }
    registry.closeAll();
  }

  @Test
  void aValidationSetWhoseArraysDoNotFitTheInputsIsRefusedNamingTheInput() throws Exception {
    List<TensorSpec> inputs = List.of(new TensorSpec("input", "FP32", new long[] {-1, 4}));
    Path wrongShape = dir.resolve("wrong.npy");
    Files.write(wrongShape, npy("<f4", new long[] {3, 1, 5}, new float[15]));
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class, () -> ValidationInputs.read(wrongShape, inputs));
    assertTrue(
        shape.getMessage().contains("does not fit input 'input' [-1, 4]"), shape.getMessage());

    Path otherName = dir.resolve("other.npz");
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(zip)) {
      out.putNextEntry(new ZipEntry("pixels.npy"));
      out.write(npy("<f4", new long[] {2, 1, 4}, new float[8]));
      out.closeEntry();
    }
    Files.write(otherName, zip.toByteArray());
    IllegalArgumentException name =
        assertThrows(
            IllegalArgumentException.class, () -> ValidationInputs.read(otherName, inputs));
    assertTrue(name.getMessage().contains("no array for input 'input'"), name.getMessage());

    Path notNumpy = dir.resolve("junk.bin");
    Files.writeString(notNumpy, "hello");
    assertThrows(IllegalArgumentException.class, () -> ValidationInputs.read(notNumpy, inputs));
  }

  @Test
  void anNpzStackOfSamplesReadsIntoOneTensorListPerSample() throws Exception {
    List<TensorSpec> inputs = List.of(new TensorSpec("input", "FP32", new long[] {1, 4}));
    Path set = dir.resolve("set.npz");
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(zip)) {
      out.putNextEntry(new ZipEntry("input.npy"));
      out.write(npy("<f4", new long[] {2, 1, 4}, new float[] {1, 2, 3, 4, 5, 6, 7, 8}));
      out.closeEntry();
    }
    Files.write(set, zip.toByteArray());
    List<List<Tensor>> samples = ValidationInputs.read(set, inputs);
    assertEquals(2, samples.size());
    float[] second = (float[]) samples.get(1).get(0).data();
    assertEquals(5f, second[0]);
    assertEquals(8f, second[3]);
  }
}
