package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.tls.DeviceTlsContext;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.transport.grpc.AgentChannels;
import dev.modelfleet.agent.transport.grpc.BearerCredentialInterceptor;
import dev.modelfleet.agent.transport.grpc.GrpcArtifactSource;
import dev.modelfleet.agent.transport.http.HttpArtifactSource;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import javax.net.ssl.SSLSocketFactory;

/**
 * The agent's download of 100 MB over the server's HTTPS artifact port under mutual TLS, over the
 * plain HTTP path, the loopback baseline (nginx → curl, single stream) and the same over TLS with
 * the device certificate ({@link NginxMutualTlsBaseline}), in interleaved rounds of one run each,
 * so the machine's load (shared with others) hits all three alike. One server with mutual TLS and a
 * plaintext replica of it (same database, keys and artifact directory) serve the same artifact to
 * the same enrolled device, with the agent's own downloader and sources.
 */
final class MutualTlsDownloadBench {

  private static final int ROUNDS = Integer.getInteger("modelfleet.bench.mtlsRounds", 3);

  private MutualTlsDownloadBench() {}

  static void run(RepoLayout repo, Path work, String database, ReportRows report) throws Exception {
    Benchmarks.progress("download-mtls: a server with mutual TLS and a plaintext replica");
    int httpsPort = Ports.free();
    try (ServerProcess tls =
            ServerProcess.start(
                repo,
                work,
                database,
                Map.of("MODELFLEET_AGENT_TLS_ARTIFACT_PORT", Integer.toString(httpsPort)));
        ServerProcess plain = tls.replica("plain", Map.of("MODELFLEET_AGENT_TLS_MODE", "off"));
        Fleet fleet = new Fleet(repo, tls, work)) {
      AgentProcess device = fleet.startAgent("bench-mtls", Map.of("bench", "mtls"));
      TlsIdentityStore tlsStore = new TlsIdentityStore(device.stateDir());
      Waits.until(
          "the agent to store its identity and certificate",
          Duration.ofSeconds(30),
          () -> Files.exists(device.stateDir().resolve("identity.json")) && tlsStore.exists());
      // stopped: the benchmark downloads with its identity, without the agent competing for CPU
      device.close();
      byte[] big = SampleModels.classifier(42, 1024, 25_600, 2);
      fleet.createModel("bench-mtls");
      fleet.createVersion("bench-mtls", "1");
      JsonNode variant = fleet.uploadVariant("bench-mtls", "1", big);
      fleet.assign("bench-mtls", "1", "bench=mtls");
      String credential =
          new ObjectMapper()
              .readTree(device.stateDir().resolve("identity.json").toFile())
              .path("credential")
              .asText();
      var tlsIdentity = tlsStore.load();
      SSLSocketFactory deviceTls =
          DeviceTlsContext.socketFactory(
              TlsIdentityStore.readCertificates(work.resolve("fleet-ca.pem")), tlsIdentity);
      ArtifactSource https =
          new HttpArtifactSource(
              URI.create("https://localhost:" + httpsPort + "/agent/v1/artifacts/"),
              credential,
              "localhost",
              () -> deviceTls);
      ManagedChannel channel =
          AgentChannels.mutualTls(
              tls.grpcTarget(),
              TlsIdentityStore.readCertificates(work.resolve("fleet-ca.pem")),
              tlsIdentity);
      ArtifactSource grpc =
          new GrpcArtifactSource(
              AgentServiceGrpc.newBlockingStub(channel)
                  .withInterceptors(new BearerCredentialInterceptor(credential)));
      ArtifactSource http =
          new HttpArtifactSource(
              plain.baseUri().resolve("/agent/v1/artifacts/"),
              credential,
              plain.baseUri().getHost());
      String sha256 = variant.path("sha256").asText();
      long size = variant.path("size").asLong();
      List<Double> overHttps = new ArrayList<>();
      List<Double> overHttp = new ArrayList<>();
      List<Double> overGrpc = new ArrayList<>();
      List<Double> curlHttps = new ArrayList<>();
      List<Double> baseline = new ArrayList<>();
      List<Double> tlsBaseline = new ArrayList<>();
      List<Double> shippedHttps = new ArrayList<>();
      List<Double> shippedHttp = new ArrayList<>();
      Path tlsPem = device.stateDir().resolve("tls.pem");
      java.util.Optional<NginxMutualTlsBaseline> nginxTls =
          NginxMutualTlsBaseline.start(
              work.resolve("nginx-tls"), big, work.resolve("fleet-ca.pem"));
      // one unmeasured download per path first: the TLS code of both JVMs is interpreted at first
      // (a cold first HTTPS download ran at a tenth of a warm one), and an agent runs for months
      Benchmarks.progress("download-mtls: one warm-up download per path");
      once(https, sha256, size, work.resolve("warm-https"));
      once(http, sha256, size, work.resolve("warm-http"));
      once(grpc, sha256, size, work.resolve("warm-grpc"));
      for (int round = 1; round <= ROUNDS; round++) {
        Benchmarks.progress("download-mtls: round " + round + "/" + ROUNDS);
        OptionalDouble curl = LoopbackBaseline.medianMbPerSecond(repo, 100, 1);
        curl.ifPresent(baseline::add);
        overHttps.add(once(https, sha256, size, work.resolve("https-" + round)));
        overHttp.add(once(http, sha256, size, work.resolve("http-" + round)));
        overGrpc.add(once(grpc, sha256, size, work.resolve("grpc-" + round)));
        curlOverHttps(tlsPem, work, httpsPort, sha256, credential).ifPresent(curlHttps::add);
        if (nginxTls.isPresent()) {
          nginxTls.get().once(tlsPem).ifPresent(tlsBaseline::add);
        }
        shippedHttps.addAll(
            ShippedFlagsDownload.run(
                URI.create("https://localhost:" + httpsPort + "/agent/v1/artifacts/"),
                credential,
                sha256,
                size,
                work.resolve("shipped-https-" + round),
                1,
                new Path[] {device.stateDir(), work.resolve("fleet-ca.pem")}));
        shippedHttp.addAll(
            ShippedFlagsDownload.run(
                plain.baseUri().resolve("/agent/v1/artifacts/"),
                credential,
                sha256,
                size,
                work.resolve("shipped-http-" + round),
                1,
                null));
      }
      channel.shutdownNow();
      if (nginxTls.isPresent()) {
        nginxTls.get().close();
      }
      String load = loadAverage();
      report.row(
          "Download over HTTPS, mutual TLS (agent, " + Benchmarks.mb(size) + ", written + sha256)",
          String.format("median %.0f MB/s of %s", median(overHttps), format(overHttps)),
          "");
      report.row(
          "Download over gRPC FetchArtifact, mutual TLS (the fallback), same run",
          String.format("median %.0f MB/s of %s", median(overGrpc), format(overGrpc)),
          "");
      if (!curlHttps.isEmpty()) {
        report.row(
            "Download: curl from the HTTPS port with the device certificate (server cost alone)",
            String.format("median %.0f MB/s of %s", median(curlHttps), format(curlHttps)),
            "");
      }
      report.row(
          "Download over plain HTTP, same run",
          String.format("median %.0f MB/s of %s", median(overHttp), format(overHttp)),
          "");
      if (!baseline.isEmpty()) {
        report.row(
            "Download: baseline curl from nginx on loopback, 100 MB, same rounds",
            String.format("median %.0f MB/s of %s", median(baseline), format(baseline)),
            "");
        report.row(
            "Download: ratio agent / curl, HTTPS mutual TLS",
            String.format("%.2f", median(overHttps) / median(baseline)),
            "≥ 0.8");
        report.row(
            "Download: ratio agent / curl, plain HTTP",
            String.format("%.2f", median(overHttp) / median(baseline)),
            "≥ 0.8");
      }
      report.row(
          "Download over HTTPS, mutual TLS, the downloader in a JVM with the agent's flags (C1"
              + " only), same rounds",
          String.format("median %.0f MB/s of %s", median(shippedHttps), format(shippedHttps)),
          "");
      report.row(
          "Download over plain HTTP, the downloader in a JVM with the agent's flags, same rounds",
          String.format("median %.0f MB/s of %s", median(shippedHttp), format(shippedHttp)),
          "");
      if (!tlsBaseline.isEmpty()) {
        report.row(
            "Download: baseline curl from nginx over TLS with the device certificate (same"
                + " work as the HTTPS path), same rounds",
            String.format("median %.0f MB/s of %s", median(tlsBaseline), format(tlsBaseline)),
            "");
        report.row(
            "Download: ratio agent / curl from nginx, both under mutual TLS",
            String.format("%.2f", median(overHttps) / median(tlsBaseline)),
            "");
        if (!curlHttps.isEmpty()) {
          report.row(
              "Download: ratio curl from the HTTPS port / curl from nginx, both under mutual TLS"
                  + " (the server's side alone)",
              String.format("%.2f", median(curlHttps) / median(tlsBaseline)),
              "");
        }
      }
      report.row("Download (mTLS section): load average after the rounds", load, "");
    }
  }

  /** MB/s (2^20 bytes) of one download into an empty directory, verified by size and sha256. */
  static double once(ArtifactSource source, String sha256, long size, Path dir) throws Exception {
    Files.createDirectories(dir);
    ArtifactDownloader downloader =
        new ArtifactDownloader(
            source, sha -> dir.resolve(sha + ".onnx"), sha -> dir.resolve(sha + ".part"), 1, 0);
    long start = System.nanoTime();
    Path file = downloader.download(sha256, size, (done, total) -> {});
    double seconds = (System.nanoTime() - start) / 1e9;
    if (Files.size(file) != size) {
      throw new IllegalStateException("downloaded " + Files.size(file) + " of " + size);
    }
    DownloadBench.deleteRecursively(dir);
    return size / 1048576.0 / seconds;
  }

  /**
   * curl (OpenSSL) as the client of the HTTPS port, writing to disk like the baseline: what the
   * server's side of TLS costs without the agent's JDK client. Empty where curl is missing.
   */
  private static OptionalDouble curlOverHttps(
      Path tlsPem, Path work, int port, String sha256, String credential) throws Exception {
    return CurlDownload.mbPerSecond(
        "download-mtls: from the HTTPS port",
        work.resolve("curl-https"),
        "https://localhost:" + port + "/agent/v1/artifacts/" + sha256,
        "--cert",
        tlsPem.toString(),
        "--cacert",
        work.resolve("fleet-ca.pem").toString(),
        "-H",
        "Authorization: Bearer " + credential);
  }

  private static String loadAverage() throws java.io.IOException {
    return Files.readString(Path.of("/proc/loadavg")).trim();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static String format(List<Double> rates) {
    return rates.stream().map(r -> String.format("%.0f", r)).toList().toString();
  }
}
