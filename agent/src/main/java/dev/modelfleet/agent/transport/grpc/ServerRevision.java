package dev.modelfleet.agent.transport.grpc;

import dev.modelfleet.protocol.ProtocolRevision;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * Remembers the protocol revision the server named in the response headers of its latest call
 * ({@link ProtocolRevision#HEADER}; a server that names none speaks {@link
 * ProtocolRevision#UNNAMED}). What an agent release's minimum protocol is compared with.
 */
final class ServerRevision implements ClientInterceptor {

  private static final Metadata.Key<String> HEADER =
      Metadata.Key.of(ProtocolRevision.HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private volatile int revision = ProtocolRevision.UNNAMED;

  int revision() {
    return revision;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onHeaders(Metadata responseHeaders) {
                revision = ProtocolRevision.parse(responseHeaders.get(HEADER));
                super.onHeaders(responseHeaders);
              }
            },
            headers);
      }
    };
  }
}
