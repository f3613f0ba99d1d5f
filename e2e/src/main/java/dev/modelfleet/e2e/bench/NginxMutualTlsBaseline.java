package dev.modelfleet.e2e.bench;

import dev.modelfleet.e2e.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * The like-for-like baseline of the HTTPS artifact path: nginx serving the same bytes over TLS on
 * loopback, asking for a client certificate from the fleet's CA as that path does, and curl
 * presenting the device's certificate and writing to disk. The plaintext baseline leaves out the
 * encryption both ends must do under mutual TLS; this one does the same work as the server and
 * agent, with nginx's and OpenSSL's costs. nginx is set up as ../shared/bench/loopback-baseline.sh
 * sets it up (sendfile off, two 1 MiB output buffers). Absent where nginx or openssl is not
 * installed.
 */
final class NginxMutualTlsBaseline implements AutoCloseable {

  private static final Path NGINX = Path.of("/usr/sbin/nginx");

  private final Path dir;
  private final int port;
  private final Process master;

  private NginxMutualTlsBaseline(Path dir, int port, Process master) {
    this.dir = dir;
    this.port = port;
    this.master = master;
  }

  /**
   * Serves {@code content} as {@code /blob} over TLS with a fresh self-signed certificate, asking
   * for client certificates issued by {@code clientCa}; empty where nginx or openssl is missing.
   */
  static java.util.Optional<NginxMutualTlsBaseline> start(Path dir, byte[] content, Path clientCa)
      throws IOException, InterruptedException {
    if (!Files.isExecutable(NGINX)) {
      return java.util.Optional.empty();
    }
    Files.createDirectories(dir.resolve("www"));
    Files.createDirectories(dir.resolve("tmp"));
    Files.write(dir.resolve("www/blob"), content);
    // nginx's workers run as another user: they must read the served file
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(dir.resolve("www"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        dir.resolve("www/blob"), PosixFilePermissions.fromString("rw-r--r--"));
    if (!run(
        List.of(
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            dir.resolve("server.key").toString(),
            "-out",
            dir.resolve("server.pem").toString()))) {
      return java.util.Optional.empty();
    }
    int port = Ports.free();
    String conf =
        """
        worker_processes 2;
        daemon off;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log;
        events { worker_connections 1024; }
        http {
          access_log off; sendfile off; output_buffers 2 1m; tcp_nopush on;
          client_body_temp_path %1$s/tmp; proxy_temp_path %1$s/tmp; fastcgi_temp_path %1$s/tmp;
          uwsgi_temp_path %1$s/tmp; scgi_temp_path %1$s/tmp;
          server {
            listen 127.0.0.1:%2$d ssl;
            ssl_certificate %1$s/server.pem;
            ssl_certificate_key %1$s/server.key;
            ssl_client_certificate %3$s;
            ssl_verify_client on;
            root %1$s/www;
          }
        }
        """
            .formatted(dir.toAbsolutePath(), port, clientCa.toAbsolutePath());
    Path confFile = dir.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    Process master =
        new ProcessBuilder(NGINX.toString(), "-c", confFile.toAbsolutePath().toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("nginx.out").toFile())
            .start();
    NginxMutualTlsBaseline baseline = new NginxMutualTlsBaseline(dir, port, master);
    for (int i = 0; i < 50 && master.isAlive(); i++) {
      try (var socket = new java.net.Socket("127.0.0.1", port)) {
        return java.util.Optional.of(baseline);
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    baseline.close();
    Benchmarks.progress(
        "download-mtls: nginx with TLS did not start: "
            + Files.readString(dir.resolve("nginx.out"), StandardCharsets.UTF_8).trim());
    return java.util.Optional.empty();
  }

  /** MB/s (2^20 bytes) of one curl download of the file to disk with {@code clientPem}. */
  OptionalDouble once(Path clientPem) throws IOException, InterruptedException {
    return CurlDownload.mbPerSecond(
        "download-mtls: from nginx over TLS",
        dir.resolve("curl-out"),
        "https://localhost:" + port + "/blob",
        "--cert",
        clientPem.toString(),
        "--cacert",
        dir.resolve("server.pem").toString());
  }

  private static boolean run(List<String> command) throws IOException, InterruptedException {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return process.waitFor() == 0;
    } catch (IOException missing) {
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    master.destroy(); // SIGTERM: nginx's master stops its workers
    if (!master.waitFor(10, TimeUnit.SECONDS)) {
      master.destroyForcibly();
    }
  }
}
