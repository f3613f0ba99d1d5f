package dev.modelfleet.agent.sync;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/** The one channel to the control plane, tuned for large artifact downloads. */
public final class AgentChannels {

  /** A wide HTTP/2 window keeps a 100 MB download from stalling on window updates. */
  static final int FLOW_CONTROL_WINDOW = 16 << 20;
  static final int MAX_INBOUND_MESSAGE = 8 << 20;

  private AgentChannels() {}

  /** Plaintext for now; TLS comes with the deploy scripts' certificates. */
  public static ManagedChannel plaintext(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return NettyChannelBuilder.forAddress(
            hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))
        .usePlaintext()
        .flowControlWindow(FLOW_CONTROL_WINDOW)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
        .keepAliveTime(60, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(false)
        .userAgent("modelfleet-agent")
        .build();
  }
}
