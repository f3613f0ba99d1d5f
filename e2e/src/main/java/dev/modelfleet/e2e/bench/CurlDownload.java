package dev.modelfleet.e2e.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/** curl as the reference client of the download benchmarks: one download to disk, timed by curl. */
final class CurlDownload {

  private CurlDownload() {}

  /**
   * MB/s (2^20 bytes) of {@code curl -s -f <options> -o out <url>}, the file deleted after; empty
   * where curl is missing or failed (said on the progress stream under {@code label}).
   */
  static OptionalDouble mbPerSecond(String label, Path out, String url, String... options)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("curl", "-s", "-f"));
    command.addAll(List.of(options));
    command.addAll(List.of("-o", out.toString(), "-w", "%{speed_download}", url));
    Process curl;
    try {
      curl = new ProcessBuilder(command).start();
    } catch (IOException missing) {
      return OptionalDouble.empty();
    }
    String speed = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    int exit = curl.waitFor();
    Files.deleteIfExists(out);
    if (exit != 0 || speed.isEmpty()) {
      Benchmarks.progress(label + ": curl failed (exit " + exit + ")");
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(Double.parseDouble(speed) / 1048576.0);
  }
}
