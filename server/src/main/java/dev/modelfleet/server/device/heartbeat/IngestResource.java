package dev.modelfleet.server.device.heartbeat;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.modelfleet.server.access.AdminOnly;
import dev.modelfleet.server.device.DeviceLinks;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * How this replica keeps up with its devices: heartbeat ingest figures and the streams it holds.
 * Per replica, not per fleet: ask each replica. Admin-only, like all of /api.
 */
@AdminOnly
@Path("/api/v1/system/ingest")
@Produces(MediaType.APPLICATION_JSON)
public class IngestResource {

  /** {@link IngestSnapshot}'s figures, flat, plus the device streams open on this replica. */
  public record IngestView(@JsonUnwrapped IngestSnapshot ingest, int connectedDevices) {}

  private final HeartbeatIngest ingest;
  private final DeviceLinks devices;

  IngestResource(HeartbeatIngest ingest, DeviceLinks devices) {
    this.ingest = ingest;
    this.devices = devices;
  }

  @Operation(summary = "This replica's heartbeat ingest figures")
  @GET
  public IngestView get() {
    return new IngestView(ingest.stats(), devices.connectedCount());
  }

  /** Starts the counters and latency figures afresh, e.g. before a load test. */
  @Operation(summary = "Reset this replica's heartbeat ingest figures")
  @POST
  @Path("/reset")
  public IngestView reset() {
    ingest.resetStats();
    return get();
  }
}
