package dev.modelfleet.agent.session;

import dev.modelfleet.protocol.agent.v1.ArtifactUrlRequest;
import dev.modelfleet.protocol.agent.v1.ArtifactUrls;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ReportAck;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.protocol.agent.v1.TrialRequest;

/**
 * The control plane as the device's session sees it: a session opens with a Hello, then reports go
 * up and the control plane's documents and requests come down until the session ends. The messages
 * are the protocol's own (they are what is signed and stored); how they travel is the transport's
 * business: {@code transport.grpc.GrpcControlPlane} carries them over the Sync stream.
 */
public interface ControlPlane {

  /**
   * Opens a session and sends {@code hello} first. What the control plane says goes to {@code
   * inbound}, one message at a time and in order, ending with exactly one {@link Inbound#ended}.
   * Throws when the session cannot even be opened; the caller retries as for a session that ended.
   */
  Connection open(Hello hello, Inbound inbound);

  /**
   * One open session, to report on. Calls may come from several threads but never at once (the
   * caller serializes them); a call on a session that has failed may throw or do nothing, and
   * {@link Inbound#ended} says why.
   */
  interface Connection {
    void heartbeat(Heartbeat heartbeat);

    void progress(DeploymentProgress progress);

    void benchmark(BenchmarkReport report);

    void trial(TrialReport report);

    /** Asks for fresh direct download addresses (the ones held expired or were refused). */
    default void artifactUrlRequest(ArtifactUrlRequest request) {}

    /** Ends the session from the device's side; {@link Inbound#ended} follows. */
    void cancel(String reason);
  }

  /** What the control plane says within one session. */
  interface Inbound {

    /** The session's settings: heartbeat interval, approval, artifact addresses. */
    void config(SyncConfig config);

    /** A signed desired state; only the newest one matters. */
    void desiredState(SignedEnvelope desiredState);

    /**
     * A newer root metadata version. Handled before the next message is delivered, so a desired
     * state signed by new keys that follows it is checked against the updated root.
     */
    void rootUpdate(RootUpdate update);

    /** Direct download addresses (presigned URLs) for artifacts; sent before the document. */
    default void artifactUrls(ArtifactUrls urls) {}

    /** The control plane stored the numbered reports up to this one (see OfflineReports). */
    default void reportAck(ReportAck ack) {}

    /** The control plane asks for a micro-benchmark run. */
    void benchmarkRequested();

    /** The control plane asks for an on-device trial of a variant. */
    void trialRequested(TrialRequest request);

    /** The session is over; called once, last. */
    void ended(SessionEnd end);
  }
}
