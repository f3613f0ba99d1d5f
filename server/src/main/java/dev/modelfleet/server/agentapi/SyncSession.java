package dev.modelfleet.server.agentapi;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.server.common.LogFields;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.MDC;

/**
 * One device's Sync stream. Writes come from the stream's own messages and from pushes after an
 * assignment commits, so every write to the response is synchronized.
 */
final class SyncSession implements StreamObserver<AgentMessage> {

  private final UUID deviceId;
  private final ServerCallStreamObserver<ServerMessage> out;
  private final SyncService service;
  private boolean helloSeen;
  private boolean closed;
  private boolean awaitingApproval;
  private long sentGeneration;
  private long sentRefreshAfterMs;

  /** The root version the agent trusts: what it said in Hello, then what this stream sent. */
  private long rootVersion;

  SyncSession(UUID deviceId, ServerCallStreamObserver<ServerMessage> out, SyncService service) {
    this.deviceId = deviceId;
    this.out = out;
    this.service = service;
    out.setOnCancelHandler(
        () -> {
          markClosed();
          service.closed(this);
        });
  }

  UUID deviceId() {
    return deviceId;
  }

  @Override
  public void onNext(AgentMessage message) {
    // what the server logs while handling this device's message names it (JSON logs: device_id)
    MDC.put(LogFields.DEVICE_ID, deviceId().toString());
    try {
      if (!helloSeen) {
        if (message.getKindCase() != AgentMessage.KindCase.HELLO) {
          close(
              Status.INVALID_ARGUMENT.withDescription("the first message on Sync must be a Hello"));
          return;
        }
        helloSeen = true;
        service.hello(this, message.getHello());
      } else {
        service.handle(this, message);
      }
    } catch (RuntimeException e) {
      var status = GrpcErrors.toStatus(e);
      close(status.getStatus());
    } finally {
      MDC.remove(LogFields.DEVICE_ID);
    }
  }

  @Override
  public void onError(Throwable t) {
    markClosed();
    service.closed(this);
  }

  @Override
  public void onCompleted() {
    service.closed(this);
    synchronized (this) {
      if (!closed) {
        closed = true;
        out.onCompleted();
      }
    }
  }

  /** False when the stream is already closed and the message went nowhere. */
  synchronized boolean send(ServerMessage message) {
    if (!closed) {
      out.onNext(message);
      return true;
    }
    return false;
  }

  /**
   * Sends the root versions after the one the agent trusts, oldest first. An agent that reported no
   * root version predates rotation and could not use them.
   */
  void sendRootUpdate(List<SignedEnvelope> chain) {
    synchronized (this) {
      sendRootUpdateLocked(chain);
    }
  }

  synchronized void helloRootVersion(long version) {
    rootVersion = version;
  }

  private void sendRootUpdateLocked(List<SignedEnvelope> chain) {
    if (closed || rootVersion <= 0) {
      return;
    }
    // newest first, so the usual push (nothing new) parses one document
    int firstNew = chain.size();
    while (firstNew > 0 && rootVersion(chain.get(firstNew - 1)) > rootVersion) {
      firstNew--;
    }
    if (firstNew < chain.size()) {
      out.onNext(
          ServerMessage.newBuilder()
              .setRootUpdate(
                  RootUpdate.newBuilder().addAllRootMetadata(chain.subList(firstNew, chain.size())))
              .build());
      rootVersion = rootVersion(chain.get(chain.size() - 1));
    }
  }

  /**
   * Sends the stream's settings. While the last one sent says the device awaits approval, no
   * desired state leaves this stream, whoever pushes it.
   */
  synchronized void sendConfig(SyncConfig config) {
    if (!closed) {
      awaitingApproval = config.getAwaitingApproval();
      out.onNext(ServerMessage.newBuilder().setConfig(config).build());
    }
  }

  /**
   * Tells a stream that awaited approval that it is approved, once however many replicas and
   * observers report the approval.
   */
  synchronized void approve(SyncConfig config) {
    if (!closed && awaitingApproval) {
      sendConfig(config);
    }
  }

  synchronized boolean awaitingApproval() {
    return awaitingApproval;
  }

  /**
   * Sends a desired state unless this stream already carried that generation or a newer one; root
   * versions the agent lacks go first, since the document may be signed by keys only they list.
   */
  void sendDesiredState(SignedEnvelope document) {
    List<SignedEnvelope> chain = service.rootChain();
    synchronized (this) {
      sendDesiredStateLocked(document, chain);
    }
  }

  private void sendDesiredStateLocked(SignedEnvelope document, List<SignedEnvelope> chain) {
    DesiredState state = parse(document);
    if (closed || awaitingApproval || state.getGeneration() <= sentGeneration) {
      return;
    }
    sendRootUpdateLocked(chain);
    // the addresses first, so the agent has them when the document starts its downloads
    service.artifactUrls(state).ifPresent(out::onNext);
    sentGeneration = state.getGeneration();
    sentRefreshAfterMs =
        state.getIssuedAtMs() + (state.getExpiresAtMs() - state.getIssuedAtMs()) / 2;
    out.onNext(ServerMessage.newBuilder().setDesiredState(document).build());
  }

  /** The newest desired-state generation this stream carried; 0 before the first. */
  synchronized long sentGeneration() {
    return sentGeneration;
  }

  /** Whether the last document this stream carried is past half its lifetime. */
  synchronized boolean desiredStateAging(long nowMs) {
    return sentGeneration > 0 && nowMs > sentRefreshAfterMs;
  }

  synchronized void close(Status status) {
    if (!closed) {
      closed = true;
      service.closed(this);
      out.onError(status.asRuntimeException());
    }
  }

  private synchronized void markClosed() {
    closed = true;
  }

  private static long rootVersion(SignedEnvelope envelope) {
    try {
      return RootMetadata.parseFrom(envelope.getPayload()).getVersion();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("root metadata signed here does not parse", e);
    }
  }

  private static DesiredState parse(SignedEnvelope document) {
    try {
      return DesiredState.parseFrom(document.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a desired state signed here does not parse", e);
    }
  }
}
