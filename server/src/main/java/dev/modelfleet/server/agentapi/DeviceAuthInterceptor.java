package dev.modelfleet.server.agentapi;

import dev.modelfleet.agent.v1.AgentServiceGrpc;
import dev.modelfleet.server.device.DeviceAuthenticator;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.UUID;

/**
 * Authenticates every AgentService call but Enroll by its device credential and makes the device id
 * available to the call. Runs after Quarkus moved the call to a worker thread (the service
 * methods are @Blocking), so the database lookup does not block the event loop.
 */
@GlobalInterceptor
@ApplicationScoped
public class DeviceAuthInterceptor implements ServerInterceptor {

  static final Context.Key<UUID> DEVICE_ID = Context.key("modelfleet-device-id");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";
  private static final String ENROLL = AgentServiceGrpc.getEnrollMethod().getFullMethodName();

  private final DeviceAuthenticator authenticator;

  DeviceAuthInterceptor(DeviceAuthenticator authenticator) {
    this.authenticator = authenticator;
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
    String header = headers.get(AUTHORIZATION);
    Optional<UUID> device =
        header != null && header.startsWith(BEARER)
            ? authenticator.authenticate(header.substring(BEARER.length()).trim())
            : Optional.empty();
    // a rejected device is told so (PERMISSION_DENIED), so its agent stops rather than retries
    if (device.isEmpty() && header != null && header.startsWith(BEARER)
        && authenticator.isRejected(header.substring(BEARER.length()).trim())) {
      call.close(Status.PERMISSION_DENIED.withDescription(SyncService.REJECTED), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (device.isEmpty()) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "device credential missing, unknown or revoked; the device must be enrolled again"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(DEVICE_ID, device.get()), call, headers, next);
  }
}
