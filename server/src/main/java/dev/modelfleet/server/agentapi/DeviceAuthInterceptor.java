package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.server.device.DeviceAuthenticator;
import dev.modelfleet.server.pki.AgentTlsConfig;
import dev.modelfleet.server.pki.DeviceCertificates;
import dev.modelfleet.server.pki.DeviceCertificates.Verdict;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jboss.logging.Logger;

/**
 * Authenticates every AgentService call but Enroll by its device credential and, with mutual TLS,
 * by the client certificate of its connection (both must name the same device), and makes the
 * device id available to the call. Runs after Quarkus moved the call to a worker thread (the
 * service methods are @Blocking), so the database lookup does not block the event loop.
 */
@GlobalInterceptor
@ApplicationScoped
public class DeviceAuthInterceptor implements ServerInterceptor {

  static final Context.Key<UUID> DEVICE_ID = Context.key("modelfleet-device-id");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";
  private static final String ENROLL = AgentServiceGrpc.getEnrollMethod().getFullMethodName();

  private static final Logger LOG = Logger.getLogger(DeviceAuthInterceptor.class);

  private final DeviceAuthenticator authenticator;
  private final AgentTlsConfig tls;
  private final DeviceCertificates certificates;

  DeviceAuthInterceptor(
      DeviceAuthenticator authenticator, AgentTlsConfig tls, DeviceCertificates certificates) {
    this.authenticator = authenticator;
    this.tls = tls;
    this.certificates = certificates;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    // other services on this port (gRPC health for load balancers) are not device calls
    String method = call.getMethodDescriptor().getFullMethodName();
    if (method.equals(ENROLL)
        || !AgentServiceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    UUID certified = null;
    if (tls.mutual()) {
      Verdict verdict;
      try {
        verdict = clientCertificate(call).map(certificates::check).orElse(null);
      } catch (RuntimeException e) {
        // The certificate's row could not be read (no database connection within the pool's
        // timeout during an enrollment burst, a failover): as for the credential below, the call
        // must be closed with a status the agent retries, or the device waits on it for good (a
        // simulated device under mutual TLS did, never to be seen again).
        return unavailable(call, e);
      }
      if (verdict == null || !verdict.accepted()) {
        return refuse(
            call,
            verdict == null
                ? "no client certificate: this server requires mutual TLS, and every call but Enroll"
                    + " presents the device certificate issued at enrollment"
                : verdict.refusal());
      }
      certified = verdict.deviceId();
    }
    String header = headers.get(AUTHORIZATION);
    String credential =
        header != null && header.startsWith(BEARER)
            ? header.substring(BEARER.length()).trim()
            : null;
    Optional<UUID> device;
    try {
      device = credential != null ? authenticator.authenticate(credential) : Optional.empty();
      // a rejected device is told so (PERMISSION_DENIED), so its agent stops rather than retries
      if (device.isEmpty() && credential != null && authenticator.isRejected(credential)) {
        call.close(Status.PERMISSION_DENIED.withDescription(SyncService.REJECTED), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    } catch (RuntimeException e) {
      // The lookup failed (PostgreSQL restarting, a failover): no verdict on the credential. Left
      // to propagate, the call was never closed and the device waited on it for good; UNAVAILABLE
      // is what agents retry with back-off.
      return unavailable(call, e);
    }
    if (device.isEmpty()) {
      return refuse(
          call, "device credential missing, unknown or revoked; the device must be enrolled again");
    }
    if (certified != null && !certified.equals(device.get())) {
      return refuse(call, "the client certificate belongs to another device than the credential");
    }
    return Contexts.interceptCall(
        Context.current().withValue(DEVICE_ID, device.get()), call, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> unavailable(ServerCall<Q, R> call, Exception e) {
    LOG.warnf("device credential not checked, the database is unavailable: %s", e.getMessage());
    call.close(
        Status.UNAVAILABLE.withDescription(
            "the server cannot check device credentials right now (its database is"
                + " unavailable); retry with backoff"),
        new Metadata());
    return new ServerCall.Listener<>() {};
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
    call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /** The certificate the client presented in the TLS handshake of this call's connection. */
  private static Optional<X509Certificate> clientCertificate(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Optional.empty();
    }
    try {
      return session.getPeerCertificates()[0] instanceof X509Certificate x509
          ? Optional.of(x509)
          : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}
