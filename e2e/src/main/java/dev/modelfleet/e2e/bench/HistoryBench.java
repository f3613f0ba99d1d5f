package dev.modelfleet.e2e.bench;

import dev.modelfleet.onnx.delta.DeltaMaker;
import dev.modelfleet.onnx.delta.WholeCompression;
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
import java.util.List;

/**
 * Bytes on the wire for a 4-version history of a fine-tuned model (docs/benchmarks.md): per
 * version, the artifact whole, compressed whole ({@link WholeCompression}, what the server keeps
 * when it saves 5 %), and as a delta from the version before ({@link DeltaMaker}); and what a
 * device that follows the history fetches (version 1 compressed, each later one by the smallest
 * offer). Sizes are deterministic; the times (server: compress, delta; device: decompress while
 * hashing, against copying the file while hashing, in this JVM) come from interleaved rounds.
 *
 * <p>Usage: {@code HistoryBench WORK_DIR ROUNDS [FEATURES HIDDEN]}.
 */
public final class HistoryBench {

  private record History(String name, List<Path> versions) {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createDirectories(Path.of(args[0]));
    int rounds = Integer.parseInt(args[1]);
    int features = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
    int hidden = args.length > 3 ? Integer.parseInt(args[3]) : 6144;
    byte[] v1 = SampleModels.classifier(401, features, hidden, 10);
    List<History> histories =
        List.of(
            history(work, "head fine-tuned (last Gemm, 10 % of values, ~1 %)", v1, 2, 0.1),
            history(work, "all layers fine-tuned (2 % of values, ~1 %)", v1, 4, 0.02));
    for (History h : histories) {
      sizes(work, h);
    }
    List<Long> compressMs = new ArrayList<>();
    List<Long> decompressMs = new ArrayList<>();
    List<Long> copyMs = new ArrayList<>();
    Path target = histories.get(0).versions().get(0);
    Path compressed = work.resolve("v1.zst");
    for (int round = 0; round < rounds; round++) {
      long t0 = System.nanoTime();
      try (OutputStream out = Files.newOutputStream(compressed)) {
        WholeCompression.compress(target, out);
      }
      compressMs.add(ms(t0));
      t0 = System.nanoTime();
      try (InputStream in = Files.newInputStream(compressed);
          OutputStream out = hashingFile(work.resolve("v1.out"))) {
        WholeCompression.decompress(in, out, Files.size(target));
      }
      decompressMs.add(ms(t0));
      t0 = System.nanoTime();
      try (InputStream in = Files.newInputStream(target);
          OutputStream out = hashingFile(work.resolve("v1.copy"))) {
        in.transferTo(out);
      }
      copyMs.add(ms(t0));
    }
    System.out.printf(
        "%nversion 1 (%s): compress %s ms (server, once per variant); decompress+hash %s ms"
            + " against copy+hash %s ms (device side, this JVM)%n",
        mb(Files.size(target)), spread(compressMs), spread(decompressMs), spread(copyMs));
  }

  private static History history(
      Path work, String name, byte[] v1, int lastInitializers, double fraction) throws IOException {
    List<Path> versions = new ArrayList<>();
    byte[] v = v1;
    for (int i = 1; i <= 4; i++) {
      if (i > 1) {
        v = FineTunes.fineTuned(v, lastInitializers, fraction, 400 + i * 10 + lastInitializers);
      }
      versions.add(Files.write(work.resolve(lastInitializers + "-v" + i + ".onnx"), v));
    }
    return new History(name, versions);
  }

  private static void sizes(Path work, History h) throws IOException {
    System.out.println("\n" + h.name());
    System.out.println(
        "| version | whole | compressed (ratio) | delta from previous (ratio) | device fetches |");
    System.out.println("|---|---|---|---|---|");
    long whole = 0;
    long compressedTotal = 0;
    long fetched = 0;
    for (int i = 0; i < h.versions().size(); i++) {
      Path v = h.versions().get(i);
      long size = Files.size(v);
      long compressed = counted(out -> WholeCompression.compress(v, out));
      long delta = i == 0 ? -1 : counted(out -> DeltaMaker.make(previous(h, v), v, out));
      long offered = Math.min(size, compressed <= 0.95 * size ? compressed : size);
      if (delta >= 0 && delta <= 0.7 * size) {
        offered = Math.min(offered, delta);
      }
      whole += size;
      compressedTotal += Math.min(size, compressed);
      fetched += offered;
      System.out.printf(
          "| %d | %s | %s (%.3f) | %s | %s |%n",
          i + 1,
          mb(size),
          mb(compressed),
          (double) compressed / size,
          delta < 0 ? "-" : String.format("%s (%.4f)", mb(delta), (double) delta / size),
          mb(offered));
    }
    System.out.printf(
        "| all 4 | %s | %s (%.3f) | | %s (%.4f) |%n",
        mb(whole),
        mb(compressedTotal),
        (double) compressedTotal / whole,
        mb(fetched),
        (double) fetched / whole);
  }

  private static Path previous(History h, Path v) {
    return h.versions().get(h.versions().indexOf(v) - 1);
  }

  private interface Writer {
    long write(OutputStream out) throws IOException;
  }

  private static long counted(Writer writer) throws IOException {
    long[] n = {0};
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) {
            n[0]++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            n[0] += len;
          }
        };
    writer.write(sink);
    return n[0];
  }

  private static OutputStream hashingFile(Path file) throws IOException {
    try {
      return new DigestOutputStream(
          new BufferedOutputStream(Files.newOutputStream(file), 1 << 16),
          MessageDigest.getInstance("SHA-256"));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long ms(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private static String spread(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2)
        + " ("
        + sorted.get(0)
        + "–"
        + sorted.get(sorted.size() - 1)
        + ")";
  }

  private static String mb(long bytes) {
    return bytes >= 1_000_000
        ? String.format("%.1f MB", bytes / 1e6)
        : String.format("%.1f kB", bytes / 1e3);
  }
}
