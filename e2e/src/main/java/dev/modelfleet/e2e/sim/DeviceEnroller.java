package dev.modelfleet.e2e.sim;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.agent.tls.CertificateRequest;
import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.EnrollmentProof;
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
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Enrolls simulated devices asynchronously: each gets its own Ed25519 key pair, as a real agent
 * would, and the returned root metadata is verified before the device trusts anything. Under mutual
 * TLS each also makes a P-256 TLS key and sends a certificate request for it, as the agent does,
 * and keeps the certificate the fleet CA issued. A device enrolls with the server it was given;
 * when that one is unavailable, with the next.
 */
final class DeviceEnroller {

  /**
   * Attempts per device before it is given up on (and counted as refused). With the backoff below
   * that is over ten minutes of trying: the server's enrollment rate limit (RESOURCE_EXHAUSTED), a
   * server starting or busy (UNAVAILABLE, DEADLINE_EXCEEDED) all pass long before.
   */
  static final int MAX_ATTEMPTS = 30;

  /**
   * How long one Enroll may take. Generous still: an attempt the client gave up on that the server
   * completed is now answered again on retry (same device, no second token use), but each such
   * retry is wasted work on a server that is already slow. Before device_key_proof, such an attempt
   * enrolled the device twice (seen with 30 s: 1,000 devices under mutual TLS on a loaded 2-core
   * machine, 5 enrolled twice and 5 refused "token used up").
   */
  static final long ENROLL_DEADLINE_SECONDS = 120;

  static final long FIRST_DELAY_MS = 250;
  static final long MAX_DELAY_MS = 30_000;

  /** Why a device was given up on: a stable reason (a gRPC status code) and the whole story. */
  record Refusal(String reason, String detail) {}

  private final List<AgentServiceGrpc.AgentServiceStub> stubs;
  private final ScheduledExecutorService scheduler;
  private final String token;
  private final byte[] pinnedRootKey;
  private final boolean certificates;

  /**
   * @param pinnedRootKey SPKI DER of the fleet root key; null trusts the first root seen
   * @param certificates whether each device asks for a TLS certificate (mutual TLS)
   */
  DeviceEnroller(
      List<AgentServiceGrpc.AgentServiceStub> stubs,
      ScheduledExecutorService scheduler,
      String token,
      byte[] pinnedRootKey,
      boolean certificates) {
    this.stubs = List.copyOf(stubs);
    this.scheduler = scheduler;
    this.token = token;
    this.pinnedRootKey = pinnedRootKey;
    this.certificates = certificates;
  }

  /**
   * @param server index of the server to try first
   */
  void enroll(
      String name,
      HardwareProfile hardware,
      int server,
      Consumer<EnrolledDevice> enrolled,
      Consumer<Refusal> refused,
      Consumer<String> attemptFailed) {
    KeyPair deviceKey = Ed25519.generate();
    KeyPair tlsKey = certificates ? CertificateRequest.newKeyPair() : null;
    byte[] certificateRequest =
        tlsKey == null ? new byte[0] : CertificateRequest.create(tlsKey, name);
    byte[] publicKey = deviceKey.getPublic().getEncoded();
    // one request for every attempt, with the proof of the device key: an attempt whose reply was
    // lost (the deadline passed after the server enrolled the device) is answered again with that
    // device, and uses no more of the token
    EnrollRequest request =
        EnrollRequest.newBuilder()
            .setEnrollmentToken(token)
            .setDevicePublicKey(ByteString.copyFrom(publicKey))
            .setRequestedName(name)
            .setHardware(hardware)
            .setCertificateRequest(ByteString.copyFrom(certificateRequest))
            .setDeviceKeyProof(
                ByteString.copyFrom(
                    Ed25519.sign(
                        deviceKey.getPrivate(),
                        EnrollmentProof.signedBytes(token, certificateRequest, publicKey))))
            .build();
    attempt(request, tlsKey, server % stubs.size(), 1, enrolled, refused, attemptFailed);
  }

  /**
   * Whether an Enroll that failed with {@code code} is worth another attempt: the server refused
   * nothing about the request itself (rate limit, unavailable, slow, or failed inside).
   */
  static boolean retryable(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNKNOWN -> true;
      default -> false;
    };
  }

  /**
   * Exponential backoff with "equal jitter": half the step fixed, half random, so that devices
   * refused together (a rate limit refuses a whole burst) do not come back together.
   */
  static long delayMs(int attempt, java.util.random.RandomGenerator random) {
    long step = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS << Math.min(attempt, 20));
    return step / 2 + random.nextLong(step / 2 + 1);
  }

  private void attempt(
      EnrollRequest request,
      KeyPair tlsKey,
      int server,
      int attempt,
      Consumer<EnrolledDevice> enrolled,
      Consumer<Refusal> refused,
      Consumer<String> attemptFailed) {
    AgentServiceGrpc.AgentServiceStub stub = stubs.get(server);
    stub.withDeadlineAfter(ENROLL_DEADLINE_SECONDS, TimeUnit.SECONDS)
        .enroll(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(EnrollResponse response) {
                TlsIdentity tls;
                try {
                  tls = tlsKey == null ? null : identity(tlsKey, response);
                } catch (GeneralSecurityException e) {
                  attemptFailed.accept("certificate-refused");
                  refused.accept(
                      new Refusal(
                          "certificate-refused",
                          request.getRequestedName()
                              + ": the device certificate is unusable: "
                              + e.getMessage()));
                  return;
                }
                try {
                  TrustedRoot root = trust(response.getRootMetadata());
                  enrolled.accept(
                      new EnrolledDevice(
                          request.getRequestedName(),
                          response.getDeviceId(),
                          response.getDeviceCredential(),
                          root,
                          request.getHardware(),
                          server,
                          tls));
                } catch (VerificationException e) {
                  String reason = "root-" + e.reasonCode();
                  attemptFailed.accept(reason);
                  refused.accept(
                      new Refusal(
                          reason,
                          request.getRequestedName()
                              + ": root metadata refused ("
                              + e.reasonCode()
                              + "): "
                              + e.getMessage()));
                }
              }

              @Override
              public void onError(Throwable error) {
                Status status = Status.fromThrowable(error);
                String reason = status.getCode().name();
                attemptFailed.accept(reason);
                if (retryable(status.getCode()) && attempt < MAX_ATTEMPTS) {
                  long delayMs = delayMs(attempt, java.util.concurrent.ThreadLocalRandom.current());
                  try {
                    int next = (server + 1) % stubs.size();
                    scheduler.schedule(
                        () ->
                            attempt(
                                request,
                                tlsKey,
                                next,
                                attempt + 1,
                                enrolled,
                                refused,
                                attemptFailed),
                        delayMs,
                        TimeUnit.MILLISECONDS);
                    return;
                  } catch (RejectedExecutionException stopping) {
                    // The simulator is shutting down: report the refusal instead of retrying.
                  }
                }
                refused.accept(
                    new Refusal(
                        reason,
                        request.getRequestedName()
                            + ": Enroll failed after "
                            + attempt
                            + " attempt(s): "
                            + status.getCode()
                            + (status.getDescription() == null
                                ? ""
                                : " " + status.getDescription())));
              }

              @Override
              public void onCompleted() {}
            });
  }

  /** The issued certificate, which must be for the key this device made (as the agent checks). */
  private static TlsIdentity identity(KeyPair tlsKey, EnrollResponse response)
      throws GeneralSecurityException {
    if (response.getDeviceCertificate().isEmpty()) {
      throw new GeneralSecurityException("the server issued no device certificate");
    }
    X509Certificate certificate =
        TlsIdentityStore.certificate(response.getDeviceCertificate().toByteArray());
    if (!certificate.getPublicKey().equals(tlsKey.getPublic())) {
      throw new GeneralSecurityException("the certificate is for another key");
    }
    return new TlsIdentity(tlsKey.getPrivate(), certificate);
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
