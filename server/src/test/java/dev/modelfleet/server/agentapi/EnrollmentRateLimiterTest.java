package dev.modelfleet.server.agentapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.enrollment.EnrollmentLimits;
import dev.modelfleet.server.enrollment.EnrollmentMetrics;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * Which Enroll calls share a budget: an IPv4 address has its own, an IPv6 address shares its /64's
 * (whoever holds one address of a /64 can use all of them).
 */
class EnrollmentRateLimiterTest {

  private final EnrollmentRefusals refusals = new EnrollmentRefusals();

  /** One attempt per address group, refilled only after 1,000 s: a second attempt is refused. */
  private final EnrollmentRateLimiter limiter =
      new EnrollmentRateLimiter(
          new EnrollmentLimits() {
            @Override
            public double ratePerSecond() {
              return 0.001;
            }

            @Override
            public int burst() {
              return 1;
            }

            @Override
            public boolean requireApproval() {
              return false;
            }

            @Override
            public boolean requireKeyProof() {
              return false;
            }
          },
          refusals,
          new EnrollmentMetrics(new SimpleMeterRegistry()));

  @Test
  void ipv6AddressesOfOneSlash64ShareOneBudget() throws Exception {
    assertNull(enrollFrom("2001:db8:1:2::1"));
    Status refused = enrollFrom("2001:db8:1:2:ffff:ffff:ffff:fffe");
    assertNotNull(refused, "another address of the same /64 draws on the same budget");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getCode());
    assertTrue(
        refused.getDescription().contains("2001:db8:1:2:0:0:0:0/64"), refused.getDescription());
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, enrollFrom("2001:db8:1:2:abcd::9").getCode());
  }

  @Test
  void anotherSlash64HasItsOwnBudget() throws Exception {
    assertNull(enrollFrom("2001:db8:1:2::1"));
    assertNull(enrollFrom("2001:db8:1:3::1"), "the neighbouring /64 is someone else");
    assertNull(enrollFrom("2001:db9:1:2::1"));
  }

  @Test
  void ipv4AddressesKeepABudgetEach() throws Exception {
    assertNull(enrollFrom("192.0.2.1"));
    assertNull(enrollFrom("192.0.2.2"), "the next IPv4 address is another machine");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, enrollFrom("192.0.2.1").getCode());
    assertEquals(
        java.util.Map.of("rate-limited", 1L),
        refusals.totals(),
        "every refusal is counted by its reason");
  }

  @Test
  void anIpv4ClientOnADualStackSocketIsCountedByItsIpv4Address() throws Exception {
    assertNull(enrollFrom("::ffff:192.0.2.7"));
    assertNull(enrollFrom("::ffff:192.0.2.8"), "IPv4-mapped addresses are not grouped by /64");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, enrollFrom("192.0.2.7").getCode());
  }

  @Test
  void aCallLetThroughCarriesItsWholeRemoteAddressForTheAuditLog() throws Exception {
    String[] seen = new String[1];
    RecordingCall call =
        new RecordingCall(new InetSocketAddress(InetAddress.getByName("2001:db8:1:2::7"), 40_000));
    limiter.interceptCall(
        call,
        new Metadata(),
        (c, headers) -> {
          seen[0] = EnrollmentRateLimiter.REMOTE_ADDRESS.get();
          return new ServerCall.Listener<>() {};
        });
    assertEquals("2001:db8:1:2:0:0:0:7", seen[0], "the address, not its /64");
  }

  /** The status the limiter closed the call with, or null when it let the call through. */
  private Status enrollFrom(String address) throws Exception {
    RecordingCall call =
        new RecordingCall(new InetSocketAddress(InetAddress.getByName(address), 40_000));
    limiter.interceptCall(call, new Metadata(), (c, headers) -> new ServerCall.Listener<>() {});
    return call.closedWith;
  }

  /** The transport side of an Enroll call from one remote address. */
  private static final class RecordingCall extends ServerCall<EnrollRequest, EnrollResponse> {
    private final Attributes attributes;
    Status closedWith;

    RecordingCall(InetSocketAddress remote) {
      this.attributes =
          Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, remote).build();
    }

    @Override
    public MethodDescriptor<EnrollRequest, EnrollResponse> getMethodDescriptor() {
      return AgentServiceGrpc.getEnrollMethod();
    }

    @Override
    public Attributes getAttributes() {
      return attributes;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      closedWith = status;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(EnrollResponse message) {}

    @Override
    public boolean isCancelled() {
      return false;
    }
  }
}
