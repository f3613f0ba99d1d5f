package dev.modelfleet.agent.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.inference.InferenceServer;
import dev.modelfleet.agent.onnx.SampleModels;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.OrtModelLoader;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.sync.AgentChannels;
import dev.modelfleet.agent.sync.BearerCredentialInterceptor;
import dev.modelfleet.agent.sync.GrpcArtifactSource;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.Dsse;
import io.grpc.ManagedChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * Measures what docs/agent.md quotes: download throughput over loopback gRPC and the inference
 * API's overhead over a direct OrtSession.run. Not a unit test (run it by hand):
 * {@code java -cp target/test-classes:target/classes:$(cat target/cp.txt)
 * dev.modelfleet.agent.bench.AgentBenchmark}
 */
public final class AgentBenchmark {

  public static void main(String[] args) throws Exception {
    download(100 << 20);
    inferenceOverhead();
    System.exit(0);
  }

  static void download(int size) throws Exception {
    byte[] artifact = new byte[size];
    new Random(1).nextBytes(artifact);
    String sha = Dsse.sha256Hex(artifact);
    Path dir = Files.createTempDirectory("bench");
    try (FakeControlPlane server = new FakeControlPlane(new FleetFixture())) {
      server.artifacts.put(sha, artifact);
      server.chunkSize = 1 << 20;
      ManagedChannel channel = AgentChannels.plaintext(server.address());
      for (int run = 0; run < 3; run++) {
        Files.deleteIfExists(dir.resolve(sha + ".onnx"));
        ArtifactDownloader downloader = new ArtifactDownloader(
            new GrpcArtifactSource(AgentServiceGrpc.newBlockingStub(channel)
                .withInterceptors(new BearerCredentialInterceptor(FakeControlPlane.CREDENTIAL))),
            s -> dir.resolve(s + ".onnx"), s -> dir.resolve(s + ".part"), 1, 1);
        long start = System.nanoTime();
        downloader.download(sha, size, (d, t) -> { });
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("download %d MiB (hash + write + final sha256 check): %.2f s, %.0f MiB/s%n",
            size >> 20, seconds, (size >> 20) / seconds);
      }
      channel.shutdownNow();
    }
  }

  static void inferenceOverhead() throws Exception {
    Path file = Files.createTempFile("m", ".onnx");
    Files.write(file, SampleModels.classifier(1));
    OrtEnvironment env = OrtModelLoader.environment();
    int n = 5000;
    long[] direct = new long[n];
    try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions())) {
      float[] input = {1, 2, 3, 4};
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input),
            new long[] {1, 4}); OrtSession.Result r = session.run(Map.of("input", tensor))) {
          r.get(0).getValue();
        }
        direct[i] = System.nanoTime() - t;
      }
    }
    ModelRegistry registry = new ModelRegistry();
    registry.swap(new ServedModel("m", "1", "x", new OrtModelLoader(0).load(file)));
    long[] viaHttp = new long[n];
    long[] viaRaw = new long[n];
    try (InferenceServer server = new InferenceServer(registry, () -> true, 0, 4, "b").start()) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest request = HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + server.port() + "/v2/models/m/infer"))
          .POST(HttpRequest.BodyPublishers.ofString("""
              {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"""))
          .build();
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
          throw new IllegalStateException(new String(r.body()));
        }
        viaHttp[i] = System.nanoTime() - t;
      }
      rawSocket(server.port(), viaRaw);
    }
    registry.closeAll();
    System.out.printf("direct OrtSession.run p50 %.3f ms; HTTP infer round trip p50 %.3f ms,"
        + " p99 %.3f ms (java.net.http client); overhead p50 %.3f ms%n", p(direct, 50),
        p(viaHttp, 50), p(viaHttp, 99), p(viaHttp, 50) - p(direct, 50));
    System.out.printf("raw keep-alive socket client: round trip p50 %.3f ms, p99 %.3f ms;"
        + " overhead p50 %.3f ms%n", p(viaRaw, 50), p(viaRaw, 99), p(viaRaw, 50) - p(direct, 50));
  }

  /** A minimal HTTP/1.1 keep-alive client, so the figure is the server's, not a client's. */
  static void rawSocket(int port, long[] out) throws Exception {
    byte[] body = """
        {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"""
        .getBytes();
    byte[] request = ("POST /v2/models/m/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n"
        + new String(body)).getBytes();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setTcpNoDelay(true);
      var in = new java.io.BufferedInputStream(socket.getInputStream());
      var os = socket.getOutputStream();
      for (int i = 0; i < out.length; i++) {
        long t = System.nanoTime();
        os.write(request);
        os.flush();
        int length = -1;
        StringBuilder line = new StringBuilder();
        while (true) {
          int c = in.read();
          if (c == '\n') {
            String header = line.toString().trim();
            if (header.isEmpty()) {
              break;
            }
            if (header.toLowerCase().startsWith("content-length:")) {
              length = Integer.parseInt(header.substring(15).trim());
            }
            line.setLength(0);
          } else {
            line.append((char) c);
          }
        }
        in.readNBytes(length);
        out[i] = System.nanoTime() - t;
      }
    }
  }

  static double p(long[] values, int percentile) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    // The second half only: the first half warms the JIT.
    long[] warm = Arrays.copyOfRange(sorted, 0, sorted.length);
    return warm[Math.min(warm.length - 1, warm.length * percentile / 100)] / 1e6;
  }
}
