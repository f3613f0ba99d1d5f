package dev.modelfleet.agent.transport.grpc;

import dev.modelfleet.agent.session.ControlPlane;
import dev.modelfleet.agent.session.SessionEnd;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.ArtifactUrlRequest;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.logging.Logger;

/**
 * The control plane over gRPC: one session is one Sync stream; the device's messages travel in
 * AgentMessage, the server's in ServerMessage. How a stream ended becomes a {@link SessionEnd} as
 * agent.proto says: UNAUTHENTICATED, PERMISSION_DENIED (rejected) and ABORTED (taken over) are
 * final; anything else is worth another stream.
 */
public final class GrpcControlPlane implements ControlPlane {

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  private final AgentServiceGrpc.AgentServiceStub stub;

  /**
   * @param stub authenticated as this device (its calls carry the device credential)
   */
  public GrpcControlPlane(AgentServiceGrpc.AgentServiceStub stub) {
    this.stub = stub;
  }

  @Override
  public Connection open(Hello hello, Inbound inbound) {
    StreamObserver<AgentMessage> out = stub.sync(new Responses(inbound));
    try {
      out.onNext(AgentMessage.newBuilder().setHello(hello).build());
    } catch (RuntimeException e) {
      out.onError(e);
      throw e;
    }
    return new Stream(out);
  }

  /** How a Sync stream's status counts for the device. */
  static SessionEnd ended(Status status) {
    String detail =
        status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    SessionEnd.Reason reason =
        switch (status.getCode()) {
          case UNAUTHENTICATED -> SessionEnd.Reason.UNAUTHENTICATED;
          case PERMISSION_DENIED -> SessionEnd.Reason.REJECTED;
          case ABORTED -> SessionEnd.Reason.REPLACED;
          default -> SessionEnd.Reason.RETRY;
        };
    return new SessionEnd(reason, detail);
  }

  private record Stream(StreamObserver<AgentMessage> out) implements Connection {

    @Override
    public void heartbeat(Heartbeat heartbeat) {
      out.onNext(AgentMessage.newBuilder().setHeartbeat(heartbeat).build());
    }

    @Override
    public void progress(DeploymentProgress progress) {
      out.onNext(AgentMessage.newBuilder().setProgress(progress).build());
    }

    @Override
    public void benchmark(BenchmarkReport report) {
      out.onNext(AgentMessage.newBuilder().setBenchmark(report).build());
    }

    @Override
    public void trial(TrialReport report) {
      out.onNext(AgentMessage.newBuilder().setTrial(report).build());
    }

    @Override
    public void artifactUrlRequest(ArtifactUrlRequest request) {
      out.onNext(AgentMessage.newBuilder().setArtifactUrlRequest(request).build());
    }

    @Override
    public void cancel(String reason) {
      out.onError(Status.CANCELLED.withDescription(reason).asRuntimeException());
    }
  }

  /** The server's side of the stream, on gRPC's thread for this call: one message at a time. */
  private record Responses(Inbound inbound) implements StreamObserver<ServerMessage> {

    @Override
    public void onNext(ServerMessage message) {
      switch (message.getKindCase()) {
        case CONFIG -> inbound.config(message.getConfig());
        case DESIRED_STATE -> inbound.desiredState(message.getDesiredState());
        case ROOT_UPDATE -> inbound.rootUpdate(message.getRootUpdate());
        case RUN_BENCHMARK -> inbound.benchmarkRequested();
        case TRIAL -> inbound.trialRequested(message.getTrial());
        case ARTIFACT_URLS -> inbound.artifactUrls(message.getArtifactUrls());
        case REPORT_ACK -> inbound.reportAck(message.getReportAck());
        default -> LOG.fine("ignoring unknown server message " + message.getKindCase());
      }
    }

    @Override
    public void onError(Throwable t) {
      inbound.ended(ended(Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
      inbound.ended(SessionEnd.retry("UNAVAILABLE: server closed the stream"));
    }
  }
}
