package dev.modelfleet.agent.transport.oip;

import dev.modelfleet.agent.inference.ApiToken;
import dev.modelfleet.agent.inference.LocalInference;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The local Open Inference Protocol gRPC endpoint (KServe's {@code inference.GRPCInferenceService}
 * on {@code grpc-port}), on the same bind address, token and models as the REST API.
 *
 * <p>Calls run on the event loop that read them ({@code directExecutor}), on event loops of this
 * server's own: handing each call to an executor thread and its answer back to the event loop cost
 * two thread switches per request (0.05-0.19 ms of Silero VAD's 0.7-0.85 ms over {@code
 * OrtSession.run} on a loaded 2-core machine, docs/benchmarks.md). The loops are this server's
 * alone, so that a long inference never holds up the agent's control stream, which runs on gRPC's
 * shared loops. A connection is served by one loop (connections take the {@code threads} loops in
 * turn): calls on one connection run one after another, calls on different connections in parallel,
 * up to {@code threads} at a time; a client that wants parallel calls opens several channels.
 */
public final class OipServer implements AutoCloseable {

  private final Server server;
  private final EventLoopGroup acceptor;
  private final EventLoopGroup loops;

  public OipServer(
      LocalInference inference,
      InetAddress bind,
      int port,
      int threads,
      ApiToken token,
      String agentVersion) {
    // Netty's own thread class: its thread-locals (buffer recyclers) take the fast path there.
    ThreadFactory named = new DefaultThreadFactory("inference-grpc", true);
    // Epoll where gRPC's own transport uses it (Linux x86_64 and aarch64), NIO elsewhere.
    boolean epoll = Epoll.isAvailable();
    // Connections are accepted on a loop of their own: one that also ran inference would take no
    // new connection while a model runs.
    this.acceptor = epoll ? new EpollEventLoopGroup(1, named) : new NioEventLoopGroup(1, named);
    this.loops =
        epoll ? new EpollEventLoopGroup(threads, named) : new NioEventLoopGroup(threads, named);
    Class<? extends ServerChannel> channel =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    OipService service = new OipService(inference, agentVersion);
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(bind, port))
            .channelType(channel)
            .bossEventLoopGroup(acceptor)
            .workerEventLoopGroup(loops)
            .directExecutor()
            .maxInboundMessageSize(LocalInference.maxBinaryBytes())
            .addService(
                token.required()
                    ? ServerInterceptors.intercept(service, new BearerTokenCheck(token))
                    : service.bindService())
            .build();
  }

  public OipServer start() throws IOException {
    server.start();
    return this;
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS);
    loops.shutdownGracefully(0, 5, TimeUnit.SECONDS);
  }
}
