package dev.modelfleet.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * S3Proxy with its filesystem backend, started as a process of its own for the end-to-end tests:
 * the bucket is a directory of {@link #data()}, an object a file under it (which lets a test tamper
 * with one as someone with write access to the bucket would). The server's own tests have the same
 * launcher over the AWS SDK (server's support.S3ProxyProcess); this one needs no SDK.
 */
public final class S3ProxyServer implements AutoCloseable {

  public static final String ACCESS_KEY = "e2e-access-key";
  public static final String SECRET_KEY = "e2e-secret-key";

  private final Process process;
  private final URI endpoint;
  private final Path data;

  private S3ProxyServer(Process process, URI endpoint, Path data) {
    this.process = process;
    this.endpoint = endpoint;
    this.data = data;
  }

  /** Starts S3Proxy in {@code dir} with {@code bucket} (an empty directory) and waits for it. */
  public static S3ProxyServer start(Path dir, String bucket) throws IOException {
    // copied there by the build (e2e/pom.xml); tests run in e2e/, benchmarks at the root
    Path jar = Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      jar = Path.of("e2e/target/s3proxy/s3proxy.jar").toAbsolutePath();
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "target/s3proxy/s3proxy.jar is missing: build the e2e module with Maven first");
    }
    Path data = Files.createDirectories(dir.resolve("s3-data"));
    Files.createDirectories(data.resolve(bucket));
    int port = Ports.free();
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    Properties properties = new Properties();
    properties.setProperty("s3proxy.endpoint", endpoint.toString());
    properties.setProperty("s3proxy.authorization", "aws-v2-or-v4");
    properties.setProperty("s3proxy.identity", ACCESS_KEY);
    properties.setProperty("s3proxy.credential", SECRET_KEY);
    properties.setProperty("jclouds.provider", "filesystem");
    properties.setProperty("jclouds.filesystem.basedir", data.toString());
    Path file = dir.resolve("s3proxy.properties");
    try (var out = Files.newOutputStream(file)) {
      properties.store(out, "S3Proxy for ModelFleet e2e tests");
    }
    Path log = dir.resolve("s3proxy.log");
    Process process =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "-jar",
                    jar.toString(),
                    "--properties",
                    file.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    S3ProxyServer server = new S3ProxyServer(process, endpoint, data);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    try {
      Waits.until(
          "S3Proxy answering on " + endpoint,
          Duration.ofSeconds(60),
          () -> {
            if (!process.isAlive()) {
              throw new Waits.GaveUp("S3Proxy exited; see " + log);
            }
            try {
              http.send(
                  HttpRequest.newBuilder(endpoint).build(), HttpResponse.BodyHandlers.discarding());
              return true; // any answer: it is listening
            } catch (IOException notYet) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new Waits.GaveUp("interrupted");
            }
          });
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** The server settings that keep artifacts in {@code bucket} here. */
  public Map<String, String> serverEnv(String bucket) {
    return Map.of(
        "MODELFLEET_ARTIFACT_STORE_TYPE",
        "s3",
        "MODELFLEET_ARTIFACT_STORE_BUCKET",
        bucket,
        "MODELFLEET_ARTIFACT_STORE_ENDPOINT",
        endpoint.toString(),
        "MODELFLEET_ARTIFACT_STORE_PATH_STYLE",
        "true",
        "MODELFLEET_ARTIFACT_STORE_ACCESS_KEY_ID",
        ACCESS_KEY,
        "MODELFLEET_ARTIFACT_STORE_SECRET_ACCESS_KEY",
        SECRET_KEY);
  }

  /** The object's file in the filesystem backend. */
  public Path object(String bucket, String key) {
    return data.resolve(bucket).resolve(key);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
