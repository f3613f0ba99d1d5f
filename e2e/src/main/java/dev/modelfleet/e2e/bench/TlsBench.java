package dev.modelfleet.e2e.bench;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.tls.CertificateRequest;
import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.transport.grpc.AgentChannels;
import dev.modelfleet.agent.transport.grpc.BearerCredentialInterceptor;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What mutual TLS costs the server: the same number of devices enroll and open their Sync stream,
 * each over a connection of its own as real agents do, once against a plaintext agent port and once
 * with mutual TLS (key pair and PKCS#10 request on the device, certificate issued at Enroll, a
 * second connection presenting it). Reports wall time, the server's CPU time and its memory with
 * all of them connected.
 */
final class TlsBench {

  private static final int CONCURRENCY = 8;
  private static final HardwareProfile HARDWARE =
      HardwareProfile.newBuilder()
          .setOs("linux")
          .setArch("x86_64")
          .setCpuCores(4)
          .addExecutionProviders("cpu")
          .build();

  private TlsBench() {}

  static void run(RepoLayout repo, Path work, String database, int devices, ReportRows report)
      throws Exception {
    for (boolean mutual : new boolean[] {false, true}) {
      String mode = mutual ? "mutual TLS" : "plaintext";
      Path dir = work.resolve(mutual ? "tls-mutual" : "tls-off");
      Files.createDirectories(dir);
      Map<String, String> env = mutual ? Map.of() : ServerProcess.PLAINTEXT_AGENTS;
      try (ServerProcess server = ServerProcess.start(repo, dir, database, env)) {
        Benchmarks.progress("tls: " + devices + " devices enroll and connect, " + mode);
        Result result = connect(server, devices, mutual);
        try {
          report.row(
              "Agent port, "
                  + mode
                  + ": "
                  + devices
                  + " devices enroll and open Sync"
                  + " (one connection each, "
                  + CONCURRENCY
                  + " at a time)",
              String.format(
                  Locale.ROOT,
                  "%.1f s wall; server CPU %.1f s (%.2f ms per device);"
                      + " server RSS with all connected %d MB",
                  result.wallSeconds,
                  result.serverCpuSeconds,
                  1000 * result.serverCpuSeconds / devices,
                  server.rssBytes() >> 20),
              "");
        } finally {
          result.close();
        }
      }
    }
  }

  private record Result(
      double wallSeconds, double serverCpuSeconds, ConcurrentLinkedQueue<ManagedChannel> channels)
      implements AutoCloseable {
    @Override
    public void close() {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  private static Result connect(ServerProcess server, int devices, boolean mutual)
      throws Exception {
    AdminClient admin = server.admin();
    List<X509Certificate> ca = null;
    if (mutual) {
      Path pem = Files.createTempFile("fleet-ca", ".pem");
      Files.writeString(pem, admin.getText("/api/v1/trust/fleet-ca.pem"));
      ca = TlsIdentityStore.readCertificates(pem);
      Files.delete(pem);
    }
    String token =
        admin
            .post(
                "/api/v1/enrollment-tokens",
                Map.of(
                    "name",
                    "bench-tls",
                    "labels",
                    Map.of("bench", "tls"),
                    "maxUses",
                    devices,
                    "expiresInSeconds",
                    3600))
            .path("token")
            .asText();
    ConcurrentLinkedQueue<ManagedChannel> channels = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
    double cpuBefore = server.cpuSeconds();
    long started = System.nanoTime();
    try {
      List<X509Certificate> trusted = ca;
      List<Future<?>> done = new java.util.ArrayList<>();
      for (int i = 0; i < devices; i++) {
        String name = "bench-tls-" + i;
        done.add(
            pool.submit(
                () -> {
                  device(server.grpcTarget(), token, name, trusted, channels);
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    double wall = (System.nanoTime() - started) / 1e9;
    return new Result(wall, server.cpuSeconds() - cpuBefore, channels);
  }

  /**
   * One device: enroll (with a certificate request under TLS), then its Sync stream's first answer.
   */
  private static void device(
      String target,
      String token,
      String name,
      List<X509Certificate> ca,
      ConcurrentLinkedQueue<ManagedChannel> channels)
      throws Exception {
    EnrollRequest.Builder request =
        EnrollRequest.newBuilder()
            .setEnrollmentToken(token)
            .setDevicePublicKey(ByteString.copyFrom(Ed25519.generate().getPublic().getEncoded()))
            .setRequestedName(name)
            .setHardware(HARDWARE);
    KeyPair tlsKey = null;
    ManagedChannel enrollChannel;
    if (ca == null) {
      enrollChannel = AgentChannels.plaintext(target);
    } else {
      tlsKey = CertificateRequest.newKeyPair();
      request.setCertificateRequest(ByteString.copyFrom(CertificateRequest.create(tlsKey, "")));
      enrollChannel = AgentChannels.mutualTls(target, ca, null);
    }
    EnrollResponse enrolled;
    try {
      enrolled =
          AgentServiceGrpc.newBlockingStub(enrollChannel)
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .enroll(request.build());
    } finally {
      enrollChannel.shutdownNow();
    }
    ManagedChannel channel =
        ca == null
            ? AgentChannels.plaintext(target)
            : AgentChannels.mutualTls(
                target,
                ca,
                new TlsIdentity(
                    tlsKey.getPrivate(),
                    TlsIdentityStore.certificate(enrolled.getDeviceCertificate().toByteArray())));
    channels.add(channel);
    CompletableFuture<ServerMessage> first = new CompletableFuture<>();
    StreamObserver<AgentMessage> out =
        AgentServiceGrpc.newStub(channel)
            .withInterceptors(new BearerCredentialInterceptor(enrolled.getDeviceCredential()))
            .sync(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerMessage value) {
                    first.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    first.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    first.completeExceptionally(new IllegalStateException("stream closed"));
                  }
                });
    out.onNext(
        AgentMessage.newBuilder().setHello(Hello.newBuilder().setHardware(HARDWARE)).build());
    first.get(60, TimeUnit.SECONDS);
  }
}
