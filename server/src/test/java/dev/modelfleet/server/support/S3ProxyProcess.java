package dev.modelfleet.server.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for the tests: S3Proxy (Apache-2.0) with its filesystem backend, started as a
 * separate process from the jar the build copies to target/s3proxy/ (never on the test classpath),
 * on a free port, in a fresh directory. {@link #client()} talks to it with the same SDK the server
 * uses; nothing of the SDK is mocked.
 */
public final class S3ProxyProcess implements AutoCloseable {

  public static final String ACCESS_KEY = "test-access-key";
  public static final String SECRET_KEY = "test-secret-key";

  private Process process;
  private final URI endpoint;
  private final Path data;
  private final List<String> command;
  private final Path log;

  private S3ProxyProcess(Process process, URI endpoint, Path data, List<String> command, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.data = data;
    this.command = command;
    this.log = log;
  }

  /** Starts S3Proxy and waits until it answers HTTP; creates {@code buckets}. */
  public static S3ProxyProcess start(String... buckets) throws IOException {
    Path jar = Path.of(System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: run the tests through Maven, which copies S3Proxy there");
    }
    Path dir = Files.createTempDirectory("s3proxy-");
    Path data = Files.createDirectories(dir.resolve("data"));
    int port = freePort();
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
      properties.store(out, "S3Proxy for ModelFleet tests");
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        List.of(
            java.toString(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            jar.toString(),
            "--properties",
            file.toString());
    Path log = dir.resolve("s3proxy.log");
    S3ProxyProcess proxy = new S3ProxyProcess(launch(command, log), endpoint, data, command, log);
    try {
      proxy.awaitUp(log);
      try (S3Client client = proxy.client()) {
        for (String bucket : buckets) {
          client.createBucket(b -> b.bucket(bucket));
        }
      }
      return proxy;
    } catch (IOException | RuntimeException e) {
      proxy.close();
      throw e;
    }
  }

  private static Process launch(List<String> command, Path log) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  /** Starts the server again after {@link #stop()}: same address, same objects. */
  public void restart() throws IOException {
    process = launch(command, log);
    awaitUp(log);
  }

  private void awaitUp(Path log) throws IOException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "S3Proxy exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try {
        http.send(HttpRequest.newBuilder(endpoint).build(), HttpResponse.BodyHandlers.discarding());
        return; // any answer (S3Proxy refuses the anonymous request) means it is listening
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "S3Proxy did not start within 60 s: " + Files.readString(log));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      try {
        Thread.sleep(100); // polling a process start, not timing a result
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  public URI endpoint() {
    return endpoint;
  }

  /** Where S3Proxy keeps the objects: {@code <data>/<bucket>/<key>}. */
  public Path data() {
    return data;
  }

  /** A client of this S3 server (path-style, the test credentials). */
  public S3Client client() {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .httpClientBuilder(
            software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
        .requestChecksumCalculation(
            software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(
            software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  /** The settings that point the server's artifact store at {@code bucket} here. */
  public java.util.Map<String, String> storeSettings(String bucket) {
    return java.util.Map.of(
        "modelfleet.artifact-store.type",
        "s3",
        "modelfleet.artifact-store.bucket",
        bucket,
        "modelfleet.artifact-store.endpoint",
        endpoint.toString(),
        "modelfleet.artifact-store.path-style",
        "true",
        "modelfleet.artifact-store.access-key-id",
        ACCESS_KEY,
        "modelfleet.artifact-store.secret-access-key",
        SECRET_KEY);
  }

  /** Stops the server (the tests of an unreachable bucket call this), leaving its files. */
  public void stop() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
