package dev.modelfleet.agent.transport.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;

/**
 * The agent's channel to the control plane, whose connection can be exchanged under the stubs that
 * use it: after enrollment (the first connection had no client certificate yet) and after each
 * certificate renewal. New calls go to the new connection; calls already running finish on the old
 * one, which is then closed.
 */
public final class SwitchableChannel extends Channel {

  private volatile ManagedChannel current;

  public SwitchableChannel(ManagedChannel first) {
    this.current = first;
  }

  public void replace(ManagedChannel next) {
    ManagedChannel old = current;
    current = next;
    old.shutdown();
  }

  @Override
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
    return current.newCall(method, options);
  }

  @Override
  public String authority() {
    return current.authority();
  }

  public void shutdownNow() {
    current.shutdownNow();
  }
}
