package dev.modelfleet.agent.inference;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's own share of an inference call that grows with the tensors: reading the request's
 * "data" arrays into primitive arrays. Not a test (nothing asserts a figure on a shared machine);
 * run it by hand to compare two builds, several runs of each, interleaved:
 *
 * <pre>
 * java -cp agent/target/test-classes:agent/target/classes:$(cat cp.txt) \
 *   dev.modelfleet.agent.inference.InferParseBenchmark 3
 * </pre>
 *
 * <p>Prints, per request shape, nanoseconds and bytes allocated per parsed request (the bytes show
 * whether anything is allocated per element: they should be the arrays themselves plus a constant).
 */
public final class InferParseBenchmark {

  private InferParseBenchmark() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    InferRequestParser parser = new InferRequestParser(InferRequestParser.newFactory());
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    // Every shape first, so that the JIT has seen all datatypes before anything is timed, as in
    // an agent serving several models.
    for (byte[] request : requests().values()) {
      run(parser, request, (long) (seconds * 0.5e9));
    }
    for (Map.Entry<String, byte[]> request : requests().entrySet()) {
      long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
      long start = System.nanoTime();
      long runs = run(parser, request.getValue(), (long) (seconds * 1e9));
      long elapsed = System.nanoTime() - start;
      long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
      System.out.printf(
          Locale.ROOT,
          "%-34s %10.0f ns/request %10d bytes/request%n",
          request.getKey(),
          (double) elapsed / runs,
          allocated / runs);
    }
  }

  private static long run(InferRequestParser parser, byte[] body, long nanos) throws Exception {
    long runs = 0;
    long until = System.nanoTime() + nanos;
    long sink = 0;
    while (System.nanoTime() < until) {
      for (int i = 0; i < 16; i++) {
        sink += parser.parse(new ByteArrayInputStream(body)).inputs().size();
        runs++;
      }
    }
    if (sink == 42) {
      System.out.print("");
    }
    return runs;
  }

  static Map<String, byte[]> requests() {
    Map<String, byte[]> requests = new LinkedHashMap<>();
    requests.put(
        "silero-vad (FP32 512+256, INT64 1)",
        body(
            tensor("input", "FP32", "[1,512]", floats(512)),
            tensor("state", "FP32", "[2,1,128]", floats(256)),
            tensor("sr", "INT64", "[]", "[16000]")));
    requests.put(
        "image FP32 1x3x64x64 nested",
        body(tensor("pixels", "FP32", "[1,3,64,64]", nested(3, 64, 64))));
    requests.put(
        "tokens INT64 1x4096", body(tensor("ids", "INT64", "[1,4096]", ints(4096, 30000))));
    requests.put(
        "tokens INT32 1x4096", body(tensor("ids", "INT32", "[1,4096]", ints(4096, 30000))));
    requests.put(
        "bytes UINT8 1x16384", body(tensor("raw", "UINT8", "[1,16384]", ints(16384, 255))));
    requests.put("mask BOOL 1x4096", body(tensor("mask", "BOOL", "[1,4096]", bools(4096))));
    requests.put("FP64 1x4096", body(tensor("x", "FP64", "[1,4096]", floats(4096))));
    return requests;
  }

  private static byte[] body(String... tensors) {
    return ("{\"inputs\":[" + String.join(",", tensors) + "]}").getBytes(StandardCharsets.UTF_8);
  }

  private static String tensor(String name, String datatype, String shape, String data) {
    return "{\"name\":\""
        + name
        + "\",\"datatype\":\""
        + datatype
        + "\",\"shape\":"
        + shape
        + ",\"data\":"
        + data
        + "}";
  }

  private static String floats(int n) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      s.append(i == 0 ? "" : ",").append((float) Math.sin(i / 8.0) * 0.3f);
    }
    return s.append(']').toString();
  }

  private static String ints(int n, int bound) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      s.append(i == 0 ? "" : ",").append((i * 7919L) % (bound + 1));
    }
    return s.append(']').toString();
  }

  private static String bools(int n) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      s.append(i == 0 ? "" : ",").append(i % 3 == 0);
    }
    return s.append(']').toString();
  }

  private static String nested(int channels, int rows, int columns) {
    StringBuilder s = new StringBuilder("[[");
    for (int c = 0; c < channels; c++) {
      s.append(c == 0 ? "[" : ",[");
      for (int r = 0; r < rows; r++) {
        s.append(r == 0 ? "[" : ",[");
        for (int x = 0; x < columns; x++) {
          s.append(x == 0 ? "" : ",").append((float) ((c * rows + r) * columns + x) / 1000f);
        }
        s.append(']');
      }
      s.append(']');
    }
    return s.append("]]").toString();
  }
}
