package dev.modelfleet.agent.transport.oip;

import dev.modelfleet.agent.inference.ApiToken;
import dev.modelfleet.agent.inference.LocalInference;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local Open Inference Protocol gRPC endpoint (KServe's {@code inference.GRPCInferenceService}
 * on {@code grpc-port}), on the same bind address, token and models as the REST API.
 */
public final class OipServer implements AutoCloseable {

  private final Server server;
  private final ExecutorService executor;

  public OipServer(
      LocalInference inference,
      InetAddress bind,
      int port,
      int threads,
      ApiToken token,
      String agentVersion) {
    AtomicInteger count = new AtomicInteger();
    // Inference blocks: it runs on its own threads, never on Netty's event loop.
    this.executor =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "inference-grpc-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    OipService service = new OipService(inference, agentVersion);
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(bind, port))
            .executor(executor)
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
    executor.shutdownNow();
  }
}
