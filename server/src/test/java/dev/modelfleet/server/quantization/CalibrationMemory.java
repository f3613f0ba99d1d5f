package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.Int8QdqQuantizer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Peak memory of int8-qdq calibration on 16 samples of 3×640×640 (the generated conv net, width
 * 32): the process's resident peak (VmHWM, reset through /proc/self/clear_refs, so ONNX Runtime's
 * native buffers count) and the heap's peak, above what they were before. Run it with {@code
 * e2e/bench.sh quantization-memory}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class CalibrationMemory {

  @Test
  void sixteenSamplesOf640x640() throws Exception {
    int width = Integer.getInteger("bench.width", 32);
    ModelProto net = QdqTestModels.convNet(1, 640, width);
    byte[] reference = net.toByteArray();
    ValidationSet calibration =
        ValidationSet.synthesize(VariantCheck.inputs(reference), Map.of(), 16, 7);
    ModelProto pre =
        QdqDerivation.preprocess(net, new java.util.ArrayList<>(), new java.util.ArrayList<>());
    Set<String> names = Int8QdqQuantizer.activations(pre);
    System.gc();
    long heapBefore = heapUsed();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    long rssBefore = status("VmRSS");
    Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // resets VmHWM to the current RSS
    long t0 = System.nanoTime();
    Map<String, float[]> ranges =
        ActivationRanges.measure(
            pre, names, new CalibrationRuns(calibration), ActivationRanges.Method.ENTROPY, 99.99);
    double seconds = (System.nanoTime() - t0) / 1e9;
    long rssPeak = status("VmHWM");
    long heapPeak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        heapPeak += p.getPeakUsage().getUsed();
      }
    }
    System.out.println(
        String.format(
            Locale.ROOT,
            "%ncalibration of the conv net 1x3x640x640 (width %d), 16 samples, entropy (two passes):"
                + " %d activations exposed, %d ranges, %.1f s; resident peak +%d MB above %d MB;"
                + " heap peak %d MB (before: %d MB used; the 16 samples themselves: %d MB)%n",
            width,
            names.size(),
            ranges.size(),
            seconds,
            (rssPeak - rssBefore) / 1024,
            rssBefore / 1024,
            heapPeak >> 20,
            heapBefore >> 20,
            16L * 3 * 640 * 640 * 4 >> 20));
  }

  private static long heapUsed() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** A /proc/self/status figure, in kB. */
  private static long status(String key) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
