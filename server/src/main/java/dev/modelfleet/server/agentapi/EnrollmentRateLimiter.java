package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.server.enrollment.AddressGroup;
import dev.modelfleet.server.enrollment.AttemptBudget;
import dev.modelfleet.server.enrollment.EnrollmentLimits;
import dev.modelfleet.server.enrollment.EnrollmentMetrics;
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
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Refuses Enroll calls beyond an address's budget with RESOURCE_EXHAUSTED before they reach the
 * database, so a flood of enrollment attempts (good tokens or guesses) costs almost nothing. IPv4
 * addresses have a budget each, IPv6 addresses one per /64 ({@link AddressGroup}). A call let
 * through carries its remote address in {@link #REMOTE_ADDRESS}, for the audit log.
 */
@GlobalInterceptor
@ApplicationScoped
public class EnrollmentRateLimiter implements ServerInterceptor {

  private static final String ENROLL = AgentServiceGrpc.getEnrollMethod().getFullMethodName();

  /** The Enroll call's remote address (the host only); absent when unknown. */
  static final Context.Key<String> REMOTE_ADDRESS = Context.key("modelfleet-enroll-remote");

  private final AttemptBudget budget;
  private final EnrollmentRefusals refusals;
  private final EnrollmentMetrics metrics;

  EnrollmentRateLimiter(
      EnrollmentLimits limits, EnrollmentRefusals refusals, EnrollmentMetrics metrics) {
    this.metrics = metrics;
    this.budget = new AttemptBudget(limits.ratePerSecond(), limits.burst(), System::nanoTime);
    this.refusals = refusals;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!call.getMethodDescriptor().getFullMethodName().equals(ENROLL)) {
      return next.startCall(call, headers);
    }
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String address = budgetKey(remote);
    long waitNanos = budget.take(address);
    if (waitNanos > 0) {
      metrics.refused("rate-limited");
      long waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos));
      refusals.refused(
          EnrollmentRefusals.RATE_LIMITED,
          "too many enrollment attempts from "
              + address
              + " (modelfleet.enrollment.rate-per-second, modelfleet.enrollment.burst); told to"
              + " retry in "
              + waitMs
              + " ms");
      call.close(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "too many enrollment attempts from "
                  + address
                  + "; retry in "
                  + waitMs
                  + " ms or later, with backoff"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(REMOTE_ADDRESS, host(remote)), call, headers, next);
  }

  private static String host(SocketAddress remote) {
    if (remote instanceof InetSocketAddress inet) {
      return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
    }
    return remote == null ? null : remote.toString();
  }

  /** The host part only (every connection from one machine shares its budget), IPv6 by /64. */
  private static String budgetKey(SocketAddress remote) {
    if (remote instanceof InetSocketAddress inet) {
      return inet.getAddress() == null ? inet.getHostString() : AddressGroup.of(inet.getAddress());
    }
    return String.valueOf(remote);
  }
}
