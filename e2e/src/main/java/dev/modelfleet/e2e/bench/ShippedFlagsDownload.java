package dev.modelfleet.e2e.bench;

import dev.modelfleet.agent.tls.DeviceTlsContext;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.transport.http.HttpArtifactSource;
import dev.modelfleet.e2e.AgentProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLSocketFactory;

/**
 * The agent's downloader in a JVM started with the agent's own flags ({@link
 * AgentProcess#JVM_FLAGS}: C1 only, a 48 MB heap), where the other download rows run it inside the
 * benchmark's JVM, whose optimising compiler turns sha256 and AES-GCM into the CPU's instructions.
 * The difference is what a deployed agent verifies and decrypts at (see docs/benchmarks.md, "the
 * agent's JIT flags and SHA-256").
 */
final class ShippedFlagsDownload {

  private ShippedFlagsDownload() {}

  /**
   * MB/s of {@code runs} downloads after one unmeasured, in a child JVM with the agent's flags;
   * {@code tls} names the device's state directory and the fleet CA for the HTTPS port, or is null
   * for plain HTTP.
   */
  static List<Double> run(
      URI base,
      String credential,
      String sha256,
      long size,
      Path dir,
      int runs,
      Path[] tls,
      String... extraFlags)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(AgentProcess.JVM_FLAGS);
    command.addAll(List.of(extraFlags));
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            ShippedFlagsDownload.class.getName(),
            base.toString(),
            credential,
            sha256,
            Long.toString(size),
            dir.toString(),
            Integer.toString(runs)));
    if (tls != null) {
      command.add(tls[0].toString());
      command.add(tls[1].toString());
    }
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (child.waitFor() != 0) {
      throw new IllegalStateException("the download with the agent's flags failed: " + output);
    }
    List<Double> rates = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("MB/s ")) {
        rates.add(Double.parseDouble(line.substring(5).trim()));
      }
    }
    return rates;
  }

  /** base credential sha256 size dir runs [deviceStateDir fleetCaPem] */
  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    String sha256 = args[2];
    long size = Long.parseLong(args[3]);
    Path dir = Path.of(args[4]);
    int runs = Integer.parseInt(args[5]);
    HttpArtifactSource source;
    if (args.length > 6) {
      SSLSocketFactory deviceTls =
          DeviceTlsContext.socketFactory(
              TlsIdentityStore.readCertificates(Path.of(args[7])),
              new TlsIdentityStore(Path.of(args[6])).load());
      source = new HttpArtifactSource(base, args[1], base.getHost(), () -> deviceTls);
    } else {
      source = new HttpArtifactSource(base, args[1], base.getHost());
    }
    for (int i = 0; i <= runs; i++) {
      double rate = MutualTlsDownloadBench.once(source, sha256, size, dir.resolve("shipped-" + i));
      if (i > 0) { // the first warms the code up, as a long-running agent's is
        System.out.println(String.format(Locale.ROOT, "MB/s %.1f", rate));
      }
    }
  }
}
