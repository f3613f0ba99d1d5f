package dev.modelfleet.agent.transport.oip;

import dev.modelfleet.agent.inference.ApiToken;
import dev.modelfleet.inference.v2.GRPCInferenceServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Asks every call for {@code authorization: Bearer <token>} when the local API has a token (it
 * listens beyond loopback). ServerLive and ServerReady stay open, as the REST health endpoints do:
 * a container's probes need no secret and learn nothing from them.
 */
final class BearerTokenCheck implements ServerInterceptor {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ApiToken token;

  BearerTokenCheck(ApiToken token) {
    this.token = token;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    boolean health =
        method.equals(GRPCInferenceServiceGrpc.getServerLiveMethod().getFullMethodName())
            || method.equals(GRPCInferenceServiceGrpc.getServerReadyMethod().getFullMethodName());
    String refusal = health ? null : token.refusal(headers.get(AUTHORIZATION));
    if (refusal != null) {
      call.close(Status.UNAUTHENTICATED.withDescription(refusal), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
