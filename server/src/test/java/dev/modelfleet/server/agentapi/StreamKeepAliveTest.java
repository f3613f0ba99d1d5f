package dev.modelfleet.server.agentapi;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A device whose stream stays quiet on the server's side (nothing to tell it for hours) still pings
 * it to notice a dead link. The server must accept those pings: it used to answer the third ping
 * within its 5 minutes with GOAWAY "too_many_pings", so every idle agent was cut off and
 * reconnected a few minutes after its last news (50,000 simulated devices showed it).
 */
@QuarkusTest
class StreamKeepAliveTest {

  /** The shortest keepalive gRPC clients may use; agents ping every 60 s, a multiple of it. */
  private static final long PING_SECONDS = 10;

  @Test
  void aQuietStreamSurvivesTheDevicesKeepalivePings() throws Exception {
    EnrollResponse device;
    try (AgentClient enroller = new AgentClient()) {
      device = enroller.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("localhost", AgentClient.port())
            .usePlaintext()
            .keepAliveTime(PING_SECONDS, TimeUnit.SECONDS)
            .keepAliveWithoutCalls(false)
            .build();
    try {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + device.getDeviceCredential());
      SyncStream stream =
          SyncStream.open(
              AgentServiceGrpc.newStub(channel)
                  .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)));
      stream.hello();
      stream.next(); // its configuration; from here the server has nothing more to say
      // four pings: the server's old default struck out on the third
      try {
        Throwable ended = stream.ended.get(4 * PING_SECONDS + 5, TimeUnit.SECONDS);
        assertFalse(true, "the quiet stream was ended by the server: " + ended);
      } catch (TimeoutException stillOpen) {
        // as it should be
      }
      stream.cancel();
    } finally {
      channel.shutdownNow();
    }
  }
}
