package dev.modelfleet.e2e.sim;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Enrolls simulated devices asynchronously: each gets its own Ed25519 key pair, as a real agent
 * would, and the returned root metadata is verified before the device trusts anything. A device
 * enrolls with the server it was given; when that one is unavailable, with the next.
 */
final class DeviceEnroller {

  /** UNAVAILABLE at enrollment means "server starting or busy": worth a few more tries. */
  private static final int MAX_ATTEMPTS = 5;

  private final List<AgentServiceGrpc.AgentServiceStub> stubs;
  private final ScheduledExecutorService scheduler;
  private final String token;
  private final byte[] pinnedRootKey;

  /**
   * @param pinnedRootKey SPKI DER of the fleet root key; null trusts the first root seen
   */
  DeviceEnroller(
      List<AgentServiceGrpc.AgentServiceStub> stubs,
      ScheduledExecutorService scheduler,
      String token,
      byte[] pinnedRootKey) {
    this.stubs = List.copyOf(stubs);
    this.scheduler = scheduler;
    this.token = token;
    this.pinnedRootKey = pinnedRootKey;
  }

  /**
   * @param server index of the server to try first
   */
  void enroll(
      String name,
      HardwareProfile hardware,
      int server,
      Consumer<EnrolledDevice> enrolled,
      Consumer<String> refused) {
    EnrollRequest request =
        EnrollRequest.newBuilder()
            .setEnrollmentToken(token)
            .setDevicePublicKey(ByteString.copyFrom(Ed25519.generate().getPublic().getEncoded()))
            .setRequestedName(name)
            .setHardware(hardware)
            .build();
    attempt(request, server % stubs.size(), 1, enrolled, refused);
  }

  private void attempt(
      EnrollRequest request,
      int server,
      int attempt,
      Consumer<EnrolledDevice> enrolled,
      Consumer<String> refused) {
    AgentServiceGrpc.AgentServiceStub stub = stubs.get(server);
    stub.withDeadlineAfter(30, TimeUnit.SECONDS)
        .enroll(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(EnrollResponse response) {
                try {
                  TrustedRoot root = trust(response.getRootMetadata());
                  enrolled.accept(
                      new EnrolledDevice(
                          request.getRequestedName(),
                          response.getDeviceId(),
                          response.getDeviceCredential(),
                          root,
                          request.getHardware(),
                          server));
                } catch (VerificationException e) {
                  refused.accept(
                      request.getRequestedName()
                          + ": root metadata refused ("
                          + e.reasonCode()
                          + "): "
                          + e.getMessage());
                }
              }

              @Override
              public void onError(Throwable error) {
                Status status = Status.fromThrowable(error);
                boolean retryable =
                    status.getCode() == Status.Code.UNAVAILABLE
                        || status.getCode()
                            == Status.Code.RESOURCE_EXHAUSTED; // the server's enrollment rate limit
                if (retryable && attempt < MAX_ATTEMPTS) {
                  long delayMs = (250L << attempt) + (long) (Math.random() * 250);
                  try {
                    int next = (server + 1) % stubs.size();
                    scheduler.schedule(
                        () -> attempt(request, next, attempt + 1, enrolled, refused),
                        delayMs,
                        TimeUnit.MILLISECONDS);
                    return;
                  } catch (RejectedExecutionException stopping) {
                    // The simulator is shutting down: report the refusal instead of retrying.
                  }
                }
                refused.accept(
                    request.getRequestedName()
                        + ": Enroll failed: "
                        + status.getCode()
                        + (status.getDescription() == null ? "" : " " + status.getDescription()));
              }

              @Override
              public void onCompleted() {}
            });
  }

  private TrustedRoot trust(SignedEnvelope rootMetadata) throws VerificationException {
    byte[] rootKey = pinnedRootKey != null ? pinnedRootKey : selfDeclaredRootKey(rootMetadata);
    return TrustedRoot.verify(rootMetadata, rootKey, System.currentTimeMillis());
  }

  /**
   * Trust on first use: the root key the metadata names for itself. The signature check that
   * follows still proves the document is intact and self-consistent, but not that it is this
   * fleet's; that takes --root-key.
   */
  private static byte[] selfDeclaredRootKey(SignedEnvelope envelope) throws VerificationException {
    RootMetadata metadata;
    try {
      metadata = RootMetadata.parseFrom(envelope.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException("malformed", "root metadata does not parse", e);
    }
    for (RoleKeys role : metadata.getRolesList()) {
      if (!Dsse.ROLE_ROOT.equals(role.getRole())) {
        continue;
      }
      for (PublicKey key : metadata.getKeysList()) {
        if (role.getKeyIdsList().contains(key.getKeyId())) {
          return key.getPublicKey().toByteArray();
        }
      }
    }
    throw new VerificationException("no-root-key", "root metadata names no root key");
  }
}
