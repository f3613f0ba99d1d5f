package dev.modelfleet.server.model;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What the admin API shows and takes for models, versions and variants. */
public final class ModelViews {

  private ModelViews() {}

  public record CreateModel(String name, String description) {}

  public record CreateVersion(String version) {}

  public record ModelView(
      UUID id, String name, String description, Instant createdAt, List<String> versions) {}

  public record VariantView(
      UUID id,
      String model,
      String version,
      String precision,
      String executionProvider,
      String sha256,
      long size,
      List<TensorSpecInfo> inputs,
      List<TensorSpecInfo> outputs,
      String arch,
      List<String> requiredCpuFlags,
      long minMemoryBytes,
      Double accuracy,
      long estimatedMacs,
      long matmulMacs,
      long convMacs,
      Instant createdAt) {

    static VariantView of(Variant v) {
      return new VariantView(
          v.id,
          v.version.model.name,
          v.version.version,
          v.precision,
          v.executionProvider,
          v.sha256,
          v.size,
          v.inputs,
          v.outputs,
          v.arch,
          v.requiredCpuFlags,
          v.minMemoryBytes,
          v.accuracy,
          v.matmulMacs + v.convMacs,
          v.matmulMacs,
          v.convMacs,
          v.createdAt);
    }
  }

  /** {@code revokedAt} and {@code revokedReason} are null unless an operator revoked it. */
  public record VersionView(
      UUID id,
      String model,
      String version,
      Instant createdAt,
      Instant revokedAt,
      String revokedReason,
      List<VariantView> variants) {

    static VersionView of(ModelVersion version, List<Variant> variants) {
      return new VersionView(
          version.id,
          version.model.name,
          version.version,
          version.createdAt,
          version.revokedAt,
          version.revokedReason,
          variants.stream().map(VariantView::of).toList());
    }
  }

  public record RevokeVersion(String reason) {}

  /** The signed manifest of a variant, base64 of the SignedEnvelope bytes plus its content. */
  public record ManifestView(String payloadType, String envelopeBase64, List<String> keyIds) {}
}
