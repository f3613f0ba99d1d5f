package dev.modelfleet.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.onnx.testing.HostileModels;
import dev.modelfleet.onnx.testing.HostileModels.Hideout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The reviewed attack against ONNX Runtime itself, then through {@link SafeSessions}: a model whose
 * tensor is "external data" at a secret file's path reads that file when ONNX Runtime opens it; the
 * same model is refused before ONNX Runtime sees it when opened safely.
 */
class ExternalDataAttackTest {

  static final byte[] SECRET = "-----BEGIN PRIVATE KEY----- not for models".getBytes();

  @TempDir Path dir;

  /**
   * ONNX Runtime 1.28 (and 1.29) refuse absolute paths, {@code ../} and symbolic links out of the
   * model's folder (1.23.2 followed them all), but still reads any file beside a model loaded from
   * a path, and any file under the process's working directory for a model loaded from bytes: a
   * server started in its install folder keeps its keys at {@code data/keys/} there.
   */
  @Test
  void onnxRuntimeOnItsOwnStillReadsFilesBesideTheModelAndUnderTheWorkingDirectory()
      throws Exception {
    Path folder = Files.createDirectories(dir.resolve("artifacts"));
    Files.write(folder.resolve("director.key"), SECRET);
    Path model =
        Files.write(
            folder.resolve("m.onnx"),
            HostileModels.externalData(Hideout.INITIALIZER, "director.key", SECRET.length));
    assertArrayEquals(SECRET, runRaw(model, null), "a file beside the model");

    Path underWorkingDirectory = Path.of("target", "attack-" + System.nanoTime(), "director.key");
    Files.createDirectories(underWorkingDirectory.getParent());
    Files.write(underWorkingDirectory, SECRET);
    try {
      byte[] attack =
          HostileModels.externalData(
              Hideout.INITIALIZER, underWorkingDirectory.toString(), SECRET.length);
      assertArrayEquals(SECRET, runRaw(null, attack), "a file under the working directory");
    } finally {
      Files.delete(underWorkingDirectory);
      Files.delete(underWorkingDirectory.getParent());
    }
  }

  private static byte[] runRaw(Path file, byte[] bytes) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session =
            file != null
                ? env.createSession(file.toString(), options)
                : env.createSession(bytes, options);
        OrtSession.Result result = session.run(Map.of())) {
      ByteBuffer stolen = ((OnnxTensor) result.get(0)).getByteBuffer();
      byte[] out = new byte[stolen.remaining()];
      stolen.get(out);
      return out;
    }
  }

  @ParameterizedTest
  @EnumSource(Hideout.class)
  void safeSessionsRefuseTheModelWhereverTheTensorHides(Hideout where) throws Exception {
    Path secret = Files.write(dir.resolve("director.key"), SECRET);
    for (String location :
        new String[] {
          secret.toString(), "../director.key", "director.key", "data/keys/director.key"
        }) {
      byte[] attack = HostileModels.externalData(where, location, SECRET.length);
      Path model =
          Files.write(Files.createDirectories(dir.resolve("upload")).resolve("m.onnx"), attack);
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        UnsafeModelException fromPath =
            assertThrows(
                UnsafeModelException.class,
                () -> SafeSessions.open(OrtEnvironment.getEnvironment(), model, options));
        assertEquals("model-external-data", fromPath.code(), fromPath.getMessage());
        UnsafeModelException fromBytes =
            assertThrows(
                UnsafeModelException.class,
                () -> SafeSessions.open(OrtEnvironment.getEnvironment(), attack, options));
        assertEquals("model-external-data", fromBytes.code());
      }
    }
  }
}
