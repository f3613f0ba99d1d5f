package dev.modelfleet.server.model;

import dev.modelfleet.agent.v1.VariantManifest;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.model.ModelViews.VariantView;
import dev.modelfleet.server.signing.SigningService;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;

/** The database half of an upload: artifact row, variant row and its signed manifest. */
@ApplicationScoped
class VariantRegistrar {

  private final SigningService signing;
  private final Clock clock;

  VariantRegistrar(SigningService signing, Clock clock) {
    this.signing = signing;
    this.clock = clock;
  }

  /** Fails before any byte is read when the upload could not be kept anyway. */
  @Transactional
  void checkCanAdd(String model, String version, String precision, String provider) {
    requireFree(ModelService.version(model, version), precision, provider);
  }

  @Transactional
  VariantView register(
      String model, String version, String precision, String provider,
      String sha256, long size, OnnxInspector.Signature signature) {
    ModelVersion modelVersion = ModelService.version(model, version);
    requireFree(modelVersion, precision, provider);
    Instant now = clock.instant();
    Panache.getEntityManager()
        .createNativeQuery(
            "insert into artifacts (sha256, size, created_at) values (?1, ?2, ?3)"
                + " on conflict (sha256) do nothing")
        .setParameter(1, sha256)
        .setParameter(2, size)
        .setParameter(3, now)
        .executeUpdate();

    Variant variant = new Variant();
    variant.id = UUID.randomUUID();
    variant.version = modelVersion;
    variant.precision = precision;
    variant.executionProvider = provider;
    variant.sha256 = sha256;
    variant.size = size;
    variant.inputs = signature.inputs();
    variant.outputs = signature.outputs();
    variant.createdAt = now;
    variant.manifest = signing.signWithTargets(Dsse.VARIANT_MANIFEST_TYPE, manifest(variant)).toByteArray();
    variant.persist();
    return VariantView.of(variant);
  }

  private static VariantManifest manifest(Variant v) {
    return VariantManifest.newBuilder()
        .setModel(v.version.model.name)
        .setVersion(v.version.version)
        .setVariantId(v.id.toString())
        .setPrecision(v.precision)
        .setExecutionProvider(v.executionProvider)
        .setSha256(v.sha256)
        .setSize(v.size)
        .addAllInputs(v.inputs.stream().map(TensorSpecInfo::toProto).toList())
        .addAllOutputs(v.outputs.stream().map(TensorSpecInfo::toProto).toList())
        .setCreatedAtMs(v.createdAt.toEpochMilli())
        .build();
  }

  private static void requireFree(ModelVersion version, String precision, String provider) {
    long existing =
        Variant.count(
            "version = ?1 and precision = ?2 and executionProvider = ?3", version, precision, provider);
    if (existing > 0) {
      throw ApiError.DUPLICATE_VARIANT.exception(
          "Version '" + version.version + "' of model '" + version.model.name
              + "' already has a " + precision + "/" + provider + " variant.");
    }
  }
}
