package dev.modelfleet.e2e.sim;

import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every download of the fleet, on a bounded pool of threads: a thousand devices told about a new
 * version at once queue up instead of opening a thousand transfers, as a CDN-less server would see
 * from a fleet whose agents back off. Each download takes the path the options ask for, and in
 * {@link DownloadPath#AUTO} falls back from HTTP to gRPC as the agent does.
 */
final class ArtifactDownloads implements AutoCloseable {

  /**
   * What one device offers a download: its credential, its current server's two paths, and the
   * object-storage address the server gave for this artifact (null: none, download through the
   * server), which takes no credential.
   *
   * @param httpsTls under mutual TLS, the device certificate for the server's HTTPS artifact port
   *     (never sent to an object-storage address); null: plaintext
   */
  record Source(
      String deviceId,
      String credential,
      AgentServiceGrpc.AgentServiceBlockingStub grpc,
      URI httpBase,
      String directUrl,
      javax.net.ssl.SSLSocketFactory httpsTls) {}

  private final DownloadPath path;
  private final Path directory;
  private final FleetCounters counters;
  private final ExecutorService threads;

  ArtifactDownloads(DownloadPath path, Path directory, int concurrency, FleetCounters counters)
      throws IOException {
    this.path = path;
    this.directory = directory;
    this.counters = counters;
    if (directory != null) {
      Files.createDirectories(directory);
    }
    AtomicInteger number = new AtomicInteger();
    this.threads =
        Executors.newFixedThreadPool(
            concurrency,
            runnable -> {
              Thread thread = new Thread(runnable, "sim-download-" + number.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Where the server says to GET artifacts: its artifact_base_url, else its HTTP port on the host
   * the device reaches it by; null when it announces neither (or something unusable, which must not
   * end the stream that carried it: the bytes can still come over gRPC). Under mutual TLS, as the
   * agent: only an https artifact_base_url or the server's HTTPS artifact port, never plaintext.
   */
  static URI announcedBase(SyncConfig config, String serverHost, boolean mutualTls) {
    String base = config.getArtifactBaseUrl();
    String address;
    if (mutualTls) {
      address =
          base.startsWith("https://")
              ? base
              : config.getHttpsPort() > 0
                  ? "https://" + serverHost + ":" + config.getHttpsPort() + "/agent/v1/artifacts"
                  : null;
    } else {
      address =
          !base.isEmpty()
              ? base
              : config.getHttpPort() > 0
                  ? "http://" + serverHost + ":" + config.getHttpPort() + "/agent/v1/artifacts"
                  : null;
    }
    if (address == null) {
      return null;
    }
    try {
      URI uri = new URI(address);
      boolean http = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
      return http && uri.getHost() != null ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  void start(Source source, VariantManifest manifest, DownloadOutcome outcome) {
    counters.downloads.increment();
    try {
      threads.execute(() -> run(source, manifest, outcome));
    } catch (RejectedExecutionException stopping) {
      outcome.finished("download-failed", "the simulator is stopping");
    }
  }

  private void run(Source source, VariantManifest manifest, DownloadOutcome outcome) {
    boolean http =
        (source.httpBase() != null || source.directUrl() != null) && path != DownloadPath.GRPC;
    boolean only = path == DownloadPath.HTTP || path == DownloadPath.HTTPS;
    if (only && !http) {
      outcome.finished(
          "download-failed",
          path == DownloadPath.HTTPS
              ? "--download-path https, but the server announced no HTTPS artifact address"
                  + " (neither an https artifact_base_url nor https_port)"
              : "--download-path http, but the server announced no"
                  + " HTTP artifact address (neither artifact_base_url nor http_port)");
      return;
    }
    if (http) {
      String failure = attempt(source, manifest, true, outcome);
      if (failure == null) {
        return;
      }
      if (only) {
        outcome.finished("download-failed", failure);
        return;
      }
      counters.httpFallbacks.increment();
    }
    String failure = attempt(source, manifest, false, outcome);
    if (failure != null) {
      outcome.finished("download-failed", failure);
    }
  }

  /** Downloads and judges the bytes; returns why the transfer failed, null once judged. */
  private String attempt(
      Source source, VariantManifest manifest, boolean http, DownloadOutcome outcome) {
    Path file =
        directory == null
            ? null
            : directory.resolve(source.deviceId() + "-" + manifest.getSha256() + ".part");
    ArtifactBytes received;
    try (ArtifactBytes bytes = new ArtifactBytes(manifest, file, counters.bytesDownloaded)) {
      if (http && source.directUrl() != null) {
        HttpArtifactFetch.fetchDirect(URI.create(source.directUrl()), bytes);
      } else if (http) {
        HttpArtifactFetch.fetch(
            source.httpBase(), source.credential(), manifest.getSha256(), bytes, source.httpsTls());
      } else {
        GrpcArtifactFetch.fetch(source.grpc(), manifest.getSha256(), bytes);
      }
      received = bytes;
    } catch (IOException e) {
      return e.getMessage();
    }
    (http ? counters.httpDownloads : counters.grpcDownloads).increment();
    // Judged once the file is closed and gone, as a client that writes and then checks would.
    received.judge(outcome);
    return null;
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
