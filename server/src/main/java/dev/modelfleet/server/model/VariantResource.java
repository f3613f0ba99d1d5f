package dev.modelfleet.server.model;

import dev.modelfleet.server.artifact.ArtifactDownloads;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.common.Requests;
import dev.modelfleet.server.model.ModelViews.ManifestView;
import dev.modelfleet.server.model.ModelViews.VariantView;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
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
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/v1/models/{name}/versions/{version}/variants")
@Produces(MediaType.APPLICATION_JSON)
public class VariantResource {

  private final VariantUploadService uploads;
  private final ModelService models;
  private final ArtifactDownloads downloads;

  VariantResource(VariantUploadService uploads, ModelService models, ArtifactDownloads downloads) {
    this.uploads = uploads;
    this.models = models;
    this.downloads = downloads;
  }

  /** Takes the .onnx file as the raw body; an InputStream so it is never held in memory. */
  @Operation(summary = "Upload a variant (the ONNX file as the body)")
  @APIResponse(
      responseCode = "201",
      description = "Created",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = VariantView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_OCTET_STREAM)
  public Response upload(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @QueryParam("precision") String precision,
      @QueryParam("executionProvider") String executionProvider,
      @QueryParam("arch") String arch,
      @QueryParam("requiredCpuFlags") String requiredCpuFlags,
      @QueryParam("minMemoryBytes") String minMemoryBytes,
      @QueryParam("accuracy") String accuracy,
      InputStream body)
      throws IOException {
    Requests.requireParam("precision", precision);
    Requests.requireParam("executionProvider", executionProvider);
    VariantNeeds needs = VariantNeeds.parse(arch, requiredCpuFlags, minMemoryBytes, accuracy);
    VariantView created = uploads.upload(name, version, precision, executionProvider, needs, body);
    return Response.status(Response.Status.CREATED).entity(created).build();
  }

  @Operation(summary = "A variant's signed manifest")
  @GET
  @Path("/{variantId}/manifest")
  public ManifestView manifest(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @PathParam("variantId") String variantId) {
    return models.manifest(name, version, Ids.parse("variant", variantId));
  }

  /**
   * The variant's .onnx file, streamed: Content-Length, its sha256 in {@value
   * ArtifactDownloads#SHA256_HEADER}, and byte ranges to resume.
   */
  @Operation(summary = "Download a variant's file")
  @APIResponse(
      responseCode = "200",
      description = "The file, or the range asked for with 206",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @GET
  @Path("/{variantId}/file")
  @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
  public Response file(
      @PathParam("name") String name,
      @PathParam("version") String version,
      @PathParam("variantId") String variantId,
      @HeaderParam("Range") String range)
      throws IOException {
    ModelService.VariantFile file =
        models.variantFile(name, version, Ids.parse("variant", variantId));
    return downloads.send(file.sha256(), file.filename(), range);
  }
}
