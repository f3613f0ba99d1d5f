package dev.modelfleet.server.agentapi;

import dev.modelfleet.server.device.HeartbeatIngest;
import dev.modelfleet.server.device.IngestSnapshot;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;

/**
 * How this replica keeps up with its devices: heartbeat ingest figures and the streams it
 * holds. Per replica, not per fleet: ask each replica. Admin-only, like all of /api.
 */
@Path("/api/v1/system/ingest")
@Produces(MediaType.APPLICATION_JSON)
public class IngestResource {

  /** {@link IngestSnapshot} plus the device streams open on this replica. */
  public record IngestView(
      Instant since,
      long heartbeatsReceived,
      long heartbeatsFlushed,
      long heartbeatsReplaced,
      long heartbeatsDropped,
      long flushes,
      long failedFlushes,
      double lastFlushMs,
      int queueDepth,
      double p50Ms,
      double p99Ms,
      double maxMs,
      double receiptToCommitP50Ms,
      double receiptToCommitP99Ms,
      double receiptToCommitMaxMs,
      int connectedDevices) {

    static IngestView of(IngestSnapshot s, int connectedDevices) {
      return new IngestView(
          s.since(), s.heartbeatsReceived(), s.heartbeatsFlushed(), s.heartbeatsReplaced(),
          s.heartbeatsDropped(), s.flushes(), s.failedFlushes(), s.lastFlushMs(), s.queueDepth(),
          s.p50Ms(), s.p99Ms(), s.maxMs(), s.receiptToCommitP50Ms(), s.receiptToCommitP99Ms(),
          s.receiptToCommitMaxMs(), connectedDevices);
    }
  }

  private final HeartbeatIngest ingest;
  private final DeviceSessions sessions;

  IngestResource(HeartbeatIngest ingest, DeviceSessions sessions) {
    this.ingest = ingest;
    this.sessions = sessions;
  }

  @GET
  public IngestView get() {
    return IngestView.of(ingest.stats(), sessions.count());
  }

  /** Starts the counters and latency figures afresh, e.g. before a load test. */
  @POST
  @Path("/reset")
  public IngestView reset() {
    ingest.resetStats();
    return get();
  }
}
