package dev.modelfleet.e2e.bench;

import dev.modelfleet.onnx.delta.DeltaApplier;
import dev.modelfleet.onnx.delta.DeltaMaker;
import dev.modelfleet.onnx.samples.FineTunes;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model deltas on realistic pairs (docs/benchmarks.md, "Model deltas"): the delta's size against
 * the target's, the time to make it (as the server does, in this JVM), and the time and peak RSS to
 * apply it in a fresh JVM with the agent's JVM flags and environment (AgentProcess), against a
 * baseline measured in the same rounds: that JVM streaming the whole target file to disk while
 * hashing it (what a whole download costs the device apart from the network). Rounds are
 * interleaved: every pair once per round.
 *
 * <p>Usage: {@code DeltaBench WORK_DIR MODELS_DIR ROUNDS [name=BASE,TARGET ...]} (extra pairs from
 * files, e.g. an fp32 model and its int8 variant).
 */
public final class DeltaBench {

  private record Pair(String name, Path base, Path target) {}

  private record Sample(
      long deltaBytes, long makeMs, long applyMs, long applyKb, long copyMs, long copyKb) {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("--apply")) {
      child(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
      return;
    }
    if (args[0].equals("--copy")) {
      child(null, Path.of(args[1]), Path.of(args[2]));
      return;
    }
    Path work = Files.createDirectories(Path.of(args[0]));
    Path models = Path.of(args[1]);
    int rounds = Integer.parseInt(args[2]);
    List<Pair> pairs = pairs(work, models);
    for (int i = 3; i < args.length; i++) {
      String[] nameFiles = args[i].split("=", 2);
      String[] files = nameFiles[1].split(",", 2);
      pairs.add(new Pair(nameFiles[0], Path.of(files[0]), Path.of(files[1])));
    }
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (Pair pair : pairs) {
        samples.computeIfAbsent(pair.name(), k -> new ArrayList<>()).add(measure(work, pair));
      }
    }
    System.out.println(
        "| pair | target | delta (ratio) | target zstd -3 alone | make | apply / whole-file copy |"
            + " apply peak RSS / copy peak RSS |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (Pair pair : pairs) {
      List<Sample> s = samples.get(pair.name());
      long size = Files.size(pair.target());
      long delta = s.get(0).deltaBytes();
      System.out.printf(
          "| %s | %s | %s (%.4f) | %.3f | %s ms | %s ms / %s ms | %s MB / %s MB |%n",
          pair.name(),
          mb(size),
          mb(delta),
          (double) delta / size,
          wholeFileRatio(pair.target()),
          spread(s, Sample::makeMs),
          spread(s, Sample::applyMs),
          spread(s, Sample::copyMs),
          spreadMb(s, Sample::applyKb),
          spreadMb(s, Sample::copyKb));
    }
  }

  private static List<Pair> pairs(Path work, Path models) throws IOException {
    List<Pair> pairs = new ArrayList<>();
    Path silero = models.resolve("silero_vad_v5.onnx");
    Path ocr = models.resolve("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    if (Files.exists(silero) && Files.exists(ocr)) {
      // the last 4 float initializers (the head), a tenth of their values nudged by about 1 %
      pairs.add(
          new Pair(
              "silero_vad fine-tuned (head)",
              silero,
              write(
                  work,
                  "silero-ft.onnx",
                  FineTunes.fineTuned(Files.readAllBytes(silero), 4, 0.1, 1))));
      pairs.add(
          new Pair(
              "ppocr_cls fine-tuned (head)",
              ocr,
              write(work, "ocr-ft.onnx", FineTunes.fineTuned(Files.readAllBytes(ocr), 4, 0.1, 2))));
      pairs.add(new Pair("unrelated (ppocr_cls → silero_vad)", ocr, silero));
    }
    // 2500 × 10000 hidden weights: a 100 MB classifier
    byte[] big = SampleModels.classifier(7, 2500, 10000, 10);
    Path bigBase = write(work, "big-v1.onnx", big);
    pairs.add(
        new Pair(
            "100 MB classifier fine-tuned (head)",
            bigBase,
            write(work, "big-head.onnx", FineTunes.fineTuned(big, 2, 0.1, 3))));
    pairs.add(
        new Pair(
            "100 MB classifier fine-tuned (all layers, 2 %)",
            bigBase, write(work, "big-all.onnx", FineTunes.fineTuned(big, 4, 0.02, 4))));
    return pairs;
  }

  /** What plain compression of the whole target would save on the wire (no base). */
  private static double wholeFileRatio(Path target) throws IOException {
    byte[] bytes = Files.readAllBytes(target);
    return (double) com.github.luben.zstd.Zstd.compress(bytes, 3).length / bytes.length;
  }

  private static Path write(Path work, String name, byte[] bytes) throws IOException {
    return Files.write(work.resolve(name), bytes);
  }

  private static Sample measure(Path work, Pair pair) throws Exception {
    Path delta = work.resolve("delta.mfd");
    long started = System.nanoTime();
    long size;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(delta))) {
      size = DeltaMaker.make(pair.base(), pair.target(), out);
    }
    long makeMs = (System.nanoTime() - started) / 1_000_000;
    long[] apply =
        run("--apply", pair.base().toString(), delta.toString(), work.resolve("out").toString());
    if (Files.mismatch(work.resolve("out"), pair.target()) != -1) {
      throw new IllegalStateException(pair.name() + ": the applied delta differs from the target");
    }
    long[] copy = run("--copy", pair.target().toString(), work.resolve("out").toString());
    return new Sample(size, makeMs, apply[0], apply[1], copy[0], copy[1]);
  }

  /** Runs a child JVM as the agent runs (its JVM flags); returns {ms, peak RSS kB}. */
  private static long[] run(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(dev.modelfleet.e2e.AgentProcess.JVM_FLAGS);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(DeltaBench.class.getName());
    Collections.addAll(command, args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(dev.modelfleet.e2e.AgentProcess.ENVIRONMENT);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes()).strip();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("child failed: " + output);
    }
    String[] parts = output.substring(output.lastIndexOf('\n') + 1).split(" ");
    return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
  }

  /** In the child: apply (base given) or copy, hashing what is written; prints "ms peakKb". */
  private static void child(Path base, Path in, Path out) throws Exception {
    long started = System.nanoTime();
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    try (InputStream input = Files.newInputStream(in);
        OutputStream output =
            new DigestOutputStream(
                new BufferedOutputStream(Files.newOutputStream(out), 1 << 16), sha256)) {
      if (base != null) {
        DeltaApplier.apply(base, input, output);
      } else {
        input.transferTo(output);
      }
    }
    long ms = (System.nanoTime() - started) / 1_000_000;
    long hwm = 0;
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        hwm = Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    System.out.println(ms + " " + hwm);
  }

  private interface Field {
    long of(Sample s);
  }

  private static String spread(List<Sample> samples, Field field) {
    List<Long> values = new ArrayList<>(samples.stream().map(field::of).toList());
    Collections.sort(values);
    long median = values.get(values.size() / 2);
    return values.size() == 1
        ? Long.toString(median)
        : median + " (" + values.get(0) + "–" + values.get(values.size() - 1) + ")";
  }

  private static String spreadMb(List<Sample> samples, Field field) {
    List<Long> values = new ArrayList<>(samples.stream().map(field::of).toList());
    Collections.sort(values);
    long median = values.get(values.size() / 2);
    return String.format(
        "%d (%d–%d)", median / 1024, values.get(0) / 1024, values.get(values.size() - 1) / 1024);
  }

  private static String mb(long bytes) {
    return bytes >= 1 << 20
        ? String.format("%.1f MB", bytes / 1048576.0)
        : String.format("%.1f kB", bytes / 1024.0);
  }
}
