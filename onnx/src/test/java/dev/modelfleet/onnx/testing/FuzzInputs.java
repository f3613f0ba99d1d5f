package dev.modelfleet.onnx.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The inputs Jazzer keeps for a fuzz test — the seeds we wrote and every crash a fuzzing run found
 * — for replaying as plain JUnit tests. Ordinary builds run those instead of the {@code @FuzzTest}
 * itself, whose instrumenting agent would stay in the test JVM and slow every test after it; {@code
 * -Pfuzz} runs the fuzz tests.
 */
public final class FuzzInputs {

  private FuzzInputs() {}

  /** Files under {@code <package>/<Class>Inputs/<method>/} on the test class path. */
  public static List<Path> of(Class<?> fuzzTest, String method) {
    String dir =
        fuzzTest.getPackageName().replace('.', '/')
            + "/"
            + fuzzTest.getSimpleName()
            + "Inputs/"
            + method;
    URL url = fuzzTest.getClassLoader().getResource(dir);
    if (url == null) {
      throw new IllegalStateException("no fuzz inputs at " + dir);
    }
    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
      return files.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
