package dev.modelfleet.agent.runtime;

/** Told how long each successful model run took, so latency figures leave out everything else. */
@FunctionalInterface
public interface ModelRunObserver {

  ModelRunObserver NONE = nanos -> {};

  void modelRan(long nanos);
}
