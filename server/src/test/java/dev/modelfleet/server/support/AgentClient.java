package dev.modelfleet.server.support;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.EnrollmentProof;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.FetchArtifactRequest;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.quarkus.arc.Arc;
import io.quarkus.grpc.runtime.GrpcServer;
import io.quarkus.value.registry.ValueRegistry;
import java.io.ByteArrayOutputStream;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A device agent reduced to what the tests need, over a real socket with grpc-java. */
public final class AgentClient implements AutoCloseable {

  private final ManagedChannel channel;

  public AgentClient() {
    channel = ManagedChannelBuilder.forAddress("localhost", port()).usePlaintext().build();
  }

  /** The gRPC test port, chosen at random by the OS (quarkus.grpc.server.test-port=0). */
  public static int port() {
    ValueRegistry registry = Arc.container().instance(ValueRegistry.class).get();
    return registry.get(GrpcServer.GRPC_TEST_PORT);
  }

  public static byte[] newDevicePublicKey() throws Exception {
    return newDeviceKeyPair().getPublic().getEncoded();
  }

  public static KeyPair newDeviceKeyPair() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  /**
   * Enroll as the agent sends it: {@code devicePublicKey}'s key with device_key_proof signed by
   * {@code signer} (the device key itself, unless a test forges one); {@code certificateRequest}
   * empty for none.
   */
  public static EnrollRequest signedRequest(
      String token, byte[] devicePublicKey, PrivateKey signer, byte[] certificateRequest)
      throws Exception {
    Signature signature = Signature.getInstance("Ed25519");
    signature.initSign(signer);
    signature.update(EnrollmentProof.signedBytes(token, certificateRequest, devicePublicKey));
    return EnrollRequest.newBuilder()
        .setEnrollmentToken(token)
        .setDevicePublicKey(ByteString.copyFrom(devicePublicKey))
        .setRequestedName("test-device")
        .setHardware(cpuHardware())
        .setCertificateRequest(ByteString.copyFrom(certificateRequest))
        .setDeviceKeyProof(ByteString.copyFrom(signature.sign()))
        .build();
  }

  public static EnrollRequest signedRequest(String token, KeyPair deviceKey) throws Exception {
    return signedRequest(
        token, deviceKey.getPublic().getEncoded(), deviceKey.getPrivate(), new byte[0]);
  }

  public EnrollResponse enroll(EnrollRequest request) {
    return AgentServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .enroll(request);
  }

  public static HardwareProfile cpuHardware() {
    return HardwareProfile.newBuilder()
        .setOs("linux")
        .setArch("x86_64")
        .setCpuCores(4)
        .addExecutionProviders("cpu")
        .build();
  }

  public EnrollResponse enroll(String token) throws Exception {
    return enroll(token, newDevicePublicKey());
  }

  public EnrollResponse enroll(String token, byte[] publicKey) {
    return enroll(token, publicKey, cpuHardware());
  }

  public EnrollResponse enroll(String token, byte[] publicKey, HardwareProfile hardware) {
    return AgentServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .enroll(
            EnrollRequest.newBuilder()
                .setEnrollmentToken(token)
                .setDevicePublicKey(ByteString.copyFrom(publicKey))
                .setRequestedName("test-device")
                .setHardware(hardware)
                .build());
  }

  public AgentServiceGrpc.AgentServiceStub asDevice(String credential) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + credential);
    return AgentServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  public SyncStream sync(String credential) {
    return SyncStream.open(asDevice(credential));
  }

  public Iterator<ArtifactChunk> fetch(String credential, String sha256, long offset) {
    return fetch(credential, sha256, offset, 0);
  }

  /** {@code end}: the first byte not to send, 0 for the artifact's end. */
  public Iterator<ArtifactChunk> fetch(String credential, String sha256, long offset, long end) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + credential);
    return AgentServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .fetchArtifact(
            FetchArtifactRequest.newBuilder()
                .setSha256(sha256)
                .setOffset(offset)
                .setEndOffset(end)
                .build());
  }

  public static byte[] concat(Iterator<ArtifactChunk> chunks, List<Long> offsets) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    chunks.forEachRemaining(
        c -> {
          offsets.add(c.getOffset());
          out.writeBytes(c.getData().toByteArray());
        });
    return out.toByteArray();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /**
   * One Sync stream: what the server sent, and how the stream ended. The one recorder of a stream
   * for every test, whatever channel the stub goes over (plaintext here, mutual TLS in pki/).
   */
  public static final class SyncStream implements StreamObserver<ServerMessage> {
    public final BlockingQueue<ServerMessage> received = new LinkedBlockingQueue<>();
    public final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    private StreamObserver<AgentMessage> requests;

    private SyncStream() {}

    /** Opens a Sync call on {@code stub} (which carries the device's credential); no Hello yet. */
    public static SyncStream open(AgentServiceGrpc.AgentServiceStub stub) {
      SyncStream stream = new SyncStream();
      stream.requests = stub.sync(stream);
      return stream;
    }

    public void send(AgentMessage message) {
      requests.onNext(message);
    }

    public void hello() {
      hello(cpuHardware());
    }

    public void hello(HardwareProfile hardware) {
      send(AgentMessage.newBuilder().setHello(Hello.newBuilder().setHardware(hardware)).build());
    }

    public ServerMessage next() throws InterruptedException {
      ServerMessage message = received.poll(10, TimeUnit.SECONDS);
      if (message == null) {
        throw new AssertionError(
            "no message from the server within 10 s; stream ended with " + ended.getNow(null));
      }
      return message;
    }

    public Throwable awaitEnd() throws Exception {
      return ended.get(10, TimeUnit.SECONDS);
    }

    public void cancel() {
      requests.onError(new RuntimeException("test closes the stream"));
    }

    @Override
    public void onNext(ServerMessage value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      ended.complete(t);
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
    }
  }
}
