package dev.modelfleet.agent.testing;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.transport.grpc.AgentChannels;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.FetchArtifactRequest;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A grpc-java server playing the control plane's agent service, as the proto comments describe it;
 * enough to drive the agent's gRPC client path in tests. On a real socket for whole agents (they
 * dial their configured server address) and where the network is the point (flow control, a
 * trickle, an endless stream); {@link #inProcess} where a socket adds nothing.
 */
public final class FakeControlPlane implements AutoCloseable {

  public static final String CREDENTIAL = "cred-secret-1";
  static final io.grpc.Context.Key<String> AUTH = io.grpc.Context.key("auth");

  public final FleetFixture fleet;
  public final Map<String, byte[]> artifacts = new ConcurrentHashMap<>();
  public final List<Long> fetchOffsets = new CopyOnWriteArrayList<>();

  /** Each FetchArtifact's end_offset (0: to the end), which this server honours as ours does. */
  public final List<Long> fetchEnds = new CopyOnWriteArrayList<>();

  public final List<String> authorizations = new CopyOnWriteArrayList<>();
  public final BlockingQueue<Hello> hellos = new LinkedBlockingQueue<>();
  public final BlockingQueue<DeploymentProgress> progress = new LinkedBlockingQueue<>();
  public final BlockingQueue<dev.modelfleet.protocol.agent.v1.Heartbeat> heartbeats =
      new LinkedBlockingQueue<>();
  public final List<String> enrollTokens = new CopyOnWriteArrayList<>();
  public final List<EnrollRequest> enrollRequests = new CopyOnWriteArrayList<>();

  /**
   * How the next Enroll calls fail, one each, after the request was recorded: UNAVAILABLE or
   * DEADLINE_EXCEEDED play a reply lost after the server enrolled the device.
   */
  public final java.util.Queue<Status> enrollFailures =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  public final BlockingQueue<dev.modelfleet.protocol.agent.v1.BenchmarkReport> benchmarks =
      new LinkedBlockingQueue<>();
  public final BlockingQueue<dev.modelfleet.protocol.agent.v1.TrialReport> trials =
      new LinkedBlockingQueue<>();
  private volatile StreamObserver<ServerMessage> latestStream;
  public volatile SignedEnvelope desiredState;

  /** Plays a device waiting for approval: SyncConfig says so and no desired state is sent. */
  public volatile boolean awaitingApproval;

  /** Plays a rejected device: Sync ends PERMISSION_DENIED, as the real server answers. */
  public volatile boolean rejected;

  /** Plays a server that acknowledges numbered reports (SyncConfig.acks_reports). */
  public volatile boolean acksReports;

  /** With {@link #acksReports}: receives numbered reports but sends no ReportAck for them. */
  public volatile boolean withholdAcks;

  public volatile int chunkSize = 64 * 1024;

  /** Pauses between chunks so that FetchArtifact runs at about this rate; 0 = full speed. */
  public volatile long bytesPerSecond;

  /** After an artifact's bytes, keeps streaming more (claiming its real size) until cancelled. */
  public volatile boolean endless;

  /** Bytes FetchArtifact has sent, to check how much of an endless stream was taken in. */
  public final java.util.concurrent.atomic.AtomicLong bytesSent =
      new java.util.concurrent.atomic.AtomicLong();

  private final Server server;

  /** Null on a socket. */
  private final String inProcessName;

  /** On a real socket, on a free port of 127.0.0.1. */
  public FakeControlPlane(FleetFixture fleet) throws IOException {
    this(fleet, 0);
  }

  /** On a chosen port, to play a server that restarts where the agent expects it. */
  public FakeControlPlane(FleetFixture fleet, int port) throws IOException {
    this(fleet, NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)), null);
  }

  /** In this process, without a socket; {@link #channel()} reaches it. */
  public static FakeControlPlane inProcess(FleetFixture fleet) throws IOException {
    return inProcess(fleet, InProcessServerBuilder.generateName());
  }

  /** In this process under a chosen name, to play a server that restarts under the same one. */
  public static FakeControlPlane inProcess(FleetFixture fleet, String name) throws IOException {
    return new FakeControlPlane(fleet, InProcessServerBuilder.forName(name), name);
  }

  private FakeControlPlane(FleetFixture fleet, ServerBuilder<?> builder, String inProcessName)
      throws IOException {
    this.fleet = fleet;
    this.inProcessName = inProcessName;
    ServerInterceptor captureAuth =
        new ServerInterceptor() {
          @Override
          public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
              io.grpc.ServerCall<Q, R> call,
              Metadata headers,
              io.grpc.ServerCallHandler<Q, R> next) {
            String auth =
                headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
            return Contexts.interceptCall(
                io.grpc.Context.current().withValue(AUTH, auth == null ? "" : auth),
                call,
                headers,
                next);
          }
        };
    server =
        builder
            .addService(ServerInterceptors.intercept(new Service(), captureAuth))
            .build()
            .start();
  }

  /** host:port on a socket, as an agent's {@code server} setting; the name in process. */
  public String address() {
    return inProcessName != null ? inProcessName : "127.0.0.1:" + server.getPort();
  }

  /** A new channel to this server, plaintext; the caller shuts it down. */
  public ManagedChannel channel() {
    return inProcessName != null
        ? InProcessChannelBuilder.forName(inProcessName).build()
        : AgentChannels.plaintext(address());
  }

  /** Sends a message down the newest Sync stream (RunBenchmark, TrialRequest, ...). */
  public void push(ServerMessage message) {
    StreamObserver<ServerMessage> stream = latestStream;
    if (stream == null) {
      throw new IllegalStateException("no agent is connected");
    }
    synchronized (stream) {
      stream.onNext(message);
    }
  }

  /** Breaks the newest Sync stream as a lost link would (UNAVAILABLE); the agent reconnects. */
  public void cut() {
    StreamObserver<ServerMessage> stream = latestStream;
    if (stream == null) {
      throw new IllegalStateException("no agent is connected");
    }
    synchronized (stream) {
      stream.onError(Status.UNAVAILABLE.withDescription("link lost").asRuntimeException());
    }
  }

  private static boolean authorized() {
    return ("Bearer " + CREDENTIAL).equals(AUTH.get());
  }

  private final class Service extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> response) {
      enrollTokens.add(request.getEnrollmentToken());
      enrollRequests.add(request);
      Status failure = enrollFailures.poll();
      if (failure != null) {
        response.onError(failure.asRuntimeException());
        return;
      }
      if (!request.getEnrollmentToken().equals("good-token")) {
        response.onError(
            Status.PERMISSION_DENIED.withDescription("unknown token").asRuntimeException());
        return;
      }
      response.onNext(
          EnrollResponse.newBuilder()
              .setDeviceId(FleetFixture.DEVICE_ID)
              .setDeviceCredential(CREDENTIAL)
              .setRootMetadata(fleet.rootMetadata())
              .putLabels("site", "lab")
              .build());
      response.onCompleted();
    }

    @Override
    public StreamObserver<AgentMessage> sync(StreamObserver<ServerMessage> response) {
      authorizations.add(AUTH.get());
      if (rejected) {
        response.onError(
            Status.PERMISSION_DENIED
                .withDescription("an operator rejected this device")
                .asRuntimeException());
        return new Ignore<>();
      }
      if (!authorized()) {
        response.onError(
            Status.UNAUTHENTICATED.withDescription("unknown credential").asRuntimeException());
        return new Ignore<>();
      }
      return new StreamObserver<>() {
        @Override
        public void onNext(AgentMessage message) {
          switch (message.getKindCase()) {
            case HELLO -> {
              synchronized (response) {
                response.onNext(
                    ServerMessage.newBuilder()
                        .setConfig(
                            SyncConfig.newBuilder()
                                .setHeartbeatIntervalSeconds(1)
                                .setAwaitingApproval(awaitingApproval)
                                .setAcksReports(acksReports))
                        .build());
                if (desiredState != null && !awaitingApproval) {
                  response.onNext(ServerMessage.newBuilder().setDesiredState(desiredState).build());
                }
              }
              latestStream = response;
              hellos.add(message.getHello());
            }
            case BENCHMARK -> benchmarks.add(message.getBenchmark());
            case TRIAL -> trials.add(message.getTrial());
            case PROGRESS -> {
              DeploymentProgress report = message.getProgress();
              progress.add(report);
              if (acksReports && !withholdAcks && report.getReportSeq() > 0) {
                synchronized (response) {
                  response.onNext(
                      ServerMessage.newBuilder()
                          .setReportAck(
                              dev.modelfleet.protocol.agent.v1.ReportAck.newBuilder()
                                  .setReportQueue(report.getReportQueue())
                                  .setReportSeq(report.getReportSeq()))
                          .build());
                }
              }
            }
            case HEARTBEAT -> heartbeats.add(message.getHeartbeat());
            default -> {}
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          response.onCompleted();
        }
      };
    }

    @Override
    public void fetchArtifact(
        FetchArtifactRequest request, StreamObserver<ArtifactChunk> response) {
      authorizations.add(AUTH.get());
      if (!authorized()) {
        response.onError(Status.UNAUTHENTICATED.asRuntimeException());
        return;
      }
      fetchOffsets.add(request.getOffset());
      fetchEnds.add(request.getEndOffset());
      byte[] bytes = artifacts.get(request.getSha256());
      if (bytes == null) {
        response.onError(Status.NOT_FOUND.asRuntimeException());
        return;
      }
      if (request.getOffset() < 0 || request.getOffset() > bytes.length) {
        response.onError(Status.OUT_OF_RANGE.asRuntimeException());
        return;
      }
      var call = (io.grpc.stub.ServerCallStreamObserver<ArtifactChunk>) response;
      long at = request.getOffset();
      long stop =
          request.getEndOffset() == 0
              ? bytes.length
              : Math.min(request.getEndOffset(), bytes.length);
      while ((at < stop || endless) && !call.isCancelled()) {
        int length = at < stop ? (int) Math.min(chunkSize, stop - at) : chunkSize;
        ByteString data =
            at < bytes.length
                ? ByteString.copyFrom(bytes, (int) at, length)
                : ByteString.copyFrom(new byte[length]);
        pace(length, call);
        if (call.isCancelled()) {
          return;
        }
        response.onNext(
            ArtifactChunk.newBuilder()
                .setOffset(at)
                .setData(data)
                .setTotalSize(bytes.length)
                .build());
        bytesSent.addAndGet(length);
        at += length;
      }
      if (!call.isCancelled()) {
        response.onCompleted();
      }
    }
  }

  /** Sleeps in slices, so that a call the agent cancelled stops holding a server thread. */
  private void pace(int length, io.grpc.stub.ServerCallStreamObserver<?> call) {
    long rate = bytesPerSecond;
    if (rate <= 0) {
      return;
    }
    long until = System.nanoTime() + Math.max(1, length * 1000L / rate) * 1_000_000L;
    try {
      while (!call.isCancelled() && System.nanoTime() < until) {
        Thread.sleep(Math.max(1, Math.min(20, (until - System.nanoTime()) / 1_000_000L)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Ignore<T> implements StreamObserver<T> {
    public void onNext(T value) {}

    public void onError(Throwable t) {}

    public void onCompleted() {}
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
