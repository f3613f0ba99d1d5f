package dev.modelfleet.server.pki;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The fleet CA certificate, for operators configuring agents ({@code server-ca}): it is what an
 * agent checks the server's TLS certificate against. Public information, readable by viewers.
 */
@Path("/api/v1/trust/fleet-ca.pem")
public class FleetCaResource {

  private final FleetCa ca;

  FleetCaResource(FleetCa ca) {
    this.ca = ca;
  }

  @Operation(summary = "The fleet CA certificate as PEM")
  @GET
  @Produces("application/x-pem-file")
  public String fleetCaPem() {
    return ca.certificatePem();
  }
}
