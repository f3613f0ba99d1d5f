package dev.modelfleet.server.model;

import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.model.ModelViews.VariantView;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;

/** The database half of an upload: artifact row, variant row and its signed manifest. */
@ApplicationScoped
class VariantRegistrar {

  private final ManifestSigning signing;
  private final ArtifactStore store;
  private final Clock clock;
  private final Event<VariantPublished> published;

  VariantRegistrar(
      ManifestSigning signing,
      ArtifactStore store,
      Clock clock,
      Event<VariantPublished> published) {
    this.signing = signing;
    this.store = store;
    this.clock = clock;
    this.published = published;
  }

  /** Fails before any byte is read when the upload could not be kept anyway. */
  @Transactional
  void checkCanAdd(
      String model, String version, String precision, String provider, VariantNeeds needs) {
    requireFree(ModelService.version(model, version), precision, provider, needs);
  }

  @Transactional
  VariantView register(
      String model,
      String version,
      String precision,
      String provider,
      VariantNeeds needs,
      AgentRelease.Needs release,
      CostEstimator.Cost cost,
      String sha256,
      long size,
      OnnxInspector.Signature signature) {
    ModelVersion modelVersion = ModelService.version(model, version);
    requireFree(modelVersion, precision, provider, needs);
    lockArtifact(sha256);
    if (!store.contains(sha256)) {
      // a concurrent upload of the same bytes failed and removed the file before we got here
      throw ApiError.CONFLICT.exception(
          "A concurrent upload of the same file failed; nothing was stored. Upload again.");
    }
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
    variant.arch = needs.arch();
    variant.requiredCpuFlags = needs.requiredCpuFlags();
    variant.minMemoryBytes = needs.minMemoryBytes();
    variant.accuracy = needs.accuracy();
    variant.minProtocol = release.minProtocol();
    variant.minConfigVersion = release.minConfigVersion();
    variant.matmulMacs = cost.matmulMacs();
    variant.convMacs = cost.convMacs();
    variant.createdAt = now;
    variant.manifest = signing.signFirst(manifest(variant));
    variant.persist();
    published.fire(new VariantPublished(variant.id));
    return VariantView.of(variant);
  }

  /**
   * Removes the stored file of an upload that failed after the file reached its content address,
   * unless another upload of the same bytes has recorded it meanwhile (they share the file).
   */
  @Transactional
  void deleteIfUnrecorded(String sha256) {
    lockArtifact(sha256);
    Object recorded =
        Panache.getEntityManager()
            .createNativeQuery("select exists (select 1 from artifacts where sha256 = ?1)")
            .setParameter(1, sha256)
            .getSingleResult();
    if (!Boolean.TRUE.equals(recorded)) {
      store.delete(sha256);
    }
  }

  /** Serializes recording and removing one content address, until the transaction ends. */
  private static void lockArtifact(String sha256) {
    Panache.getEntityManager()
        .createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
        .setParameter(1, "artifact:" + sha256)
        .getSingleResult();
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
        .setArch(v.arch)
        .addAllRequiredCpuFlags(v.requiredCpuFlags)
        .setMinMemoryBytes(v.minMemoryBytes)
        .setMinProtocol(v.minProtocol)
        .setMinConfigVersion(v.minConfigVersion)
        .build();
  }

  /**
   * One variant per precision, provider and needs (an int8/cpu build each for VNNI and dotprod).
   */
  private static void requireFree(
      ModelVersion version, String precision, String provider, VariantNeeds needs) {
    boolean taken =
        Variant.<Variant>list(
                "version = ?1 and precision = ?2 and executionProvider = ?3 and arch = ?4",
                version,
                precision,
                provider,
                needs.arch())
            .stream()
            .anyMatch(v -> v.requiredCpuFlags.equals(needs.requiredCpuFlags()));
    if (taken) {
      throw ApiError.DUPLICATE_VARIANT.exception(
          "Version '"
              + version.version
              + "' of model '"
              + version.model.name
              + "' already has a "
              + precision
              + "/"
              + provider
              + " variant for "
              + needs.describe()
              + ".");
    }
  }
}
