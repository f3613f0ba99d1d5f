package dev.modelfleet.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.onnxruntime.OrtEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The ONNX Runtime the build ships starts in a JVM whatever its command line, and leaves nothing
 * behind in /tmp. ONNX Runtime 1.29.0, the newest release when this was written, fails both: at
 * environment creation it reads /etc/machine-id and /proc/self/cmdline, creates an empty
 * /tmp/mat-debug-PID.log (mode 0666, truncating whatever is there), and dies of a segmentation
 * fault when the command line is longer than about 4 KB (a long class path, a long -D setting). So
 * the build ships 1.28.0; this test fails if an upgrade brings either back.
 */
class OrtStartupTest {

  /** What the child JVM runs: create the environment and say so. */
  public static void main(String[] args) {
    System.out.println("onnxruntime " + OrtEnvironment.getEnvironment().getVersion());
  }

  @Test
  void onnxRuntimeStartsUnderALongCommandLineAndWritesNothingToTmp() throws Exception {
    String classPath = System.getProperty("java.class.path");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String longSetting = "-Dmodelfleet.padding=" + "x".repeat(16_000);
    Process child =
        new ProcessBuilder(java, longSetting, "-cp", classPath, OrtStartupTest.class.getName())
            .redirectErrorStream(true)
            .start();
    String output = new String(child.getInputStream().readAllBytes());
    child.waitFor(60, TimeUnit.SECONDS);
    assertEquals(
        0, child.exitValue(), "the JVM died creating the ONNX Runtime environment: " + output);
    List<String> leftBehind = List.of("/tmp/mat-debug-" + child.pid() + ".log");
    for (String file : leftBehind) {
      assertFalse(Files.exists(Path.of(file)), "ONNX Runtime wrote " + file);
    }
  }
}
