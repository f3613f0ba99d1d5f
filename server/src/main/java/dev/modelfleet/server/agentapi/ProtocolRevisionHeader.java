package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.ProtocolRevision;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Names this server's protocol revision in the response headers of every AgentService call, so that
 * an agent can refuse a release of itself that needs a revision this server does not speak (a fleet
 * whose replicas are upgraded after its agents' release was published).
 */
@GlobalInterceptor
@ApplicationScoped
public class ProtocolRevisionHeader implements ServerInterceptor {

  private static final Metadata.Key<String> HEADER =
      Metadata.Key.of(ProtocolRevision.HEADER, Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!AgentServiceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(HEADER, Integer.toString(ProtocolRevision.CURRENT));
            super.sendHeaders(responseHeaders);
          }
        },
        headers);
  }
}
