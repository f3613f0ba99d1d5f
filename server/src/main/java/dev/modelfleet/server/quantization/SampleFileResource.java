package dev.modelfleet.server.quantization;

import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.quantization.DerivationViews.SampleFileView;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Validation and calibration samples as a NumPy file (.npy, or .npz with one array per input), for
 * inputs too large for JSON numbers; a derivation job names the returned id as {@code samplesFile}.
 */
@Path("/api/v1/models/{name}/versions/{version}/derivation-samples")
@Produces(MediaType.APPLICATION_JSON)
public class SampleFileResource {

  private final SampleFiles samples;

  SampleFileResource(SampleFiles samples) {
    this.samples = samples;
  }

  /** The raw file as the body, an InputStream so that it streams to disk, never to the heap. */
  @Operation(summary = "Upload validation or calibration samples (a .npy or .npz file as the body)")
  @RequestBody(
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @APIResponse(
      responseCode = "201",
      description = "Stored; name its id as samplesFile in a derivation job",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = SampleFileView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_OCTET_STREAM)
  public Response upload(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @QueryParam("sourceVariantId") String sourceVariantId,
      InputStream body)
      throws IOException {
    SampleFileView view =
        samples.upload(
            name,
            version,
            sourceVariantId == null ? null : Ids.parse("variant", sourceVariantId),
            body);
    return Response.status(Response.Status.CREATED).entity(view).build();
  }
}
