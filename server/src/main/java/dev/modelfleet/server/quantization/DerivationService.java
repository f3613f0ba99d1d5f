package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.quantization.DerivationViews.CreateDerivation;
import dev.modelfleet.server.quantization.DerivationViews.JobView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Accepts derivation requests. Everything that can be known before the work starts is checked
 * here, so a bad request is a 4xx with nothing queued: the reference exists and is fp32, each
 * kind applies to the model, no variant of that precision exists yet, the validation samples
 * fit the signature. The work itself runs in {@link DerivationRunner}.
 */
@ApplicationScoped
public class DerivationService {

  public static final double DEFAULT_ACCURACY_FLOOR = 0.99;

  private final ArtifactStore store;
  private final DerivationRunner runner;
  private final Clock clock;

  DerivationService(ArtifactStore store, DerivationRunner runner, Clock clock) {
    this.store = store;
    this.runner = runner;
    this.clock = clock;
  }

  public JobView start(String model, String version, CreateDerivation request) {
    Prepared prepared = prepare(model, version, request);
    JobView job = enqueue(prepared);
    runner.wake();
    return job;
  }

  private record Prepared(UUID versionId, UUID sourceId, List<DerivationKind> kinds, double floor,
      DerivationViews.Validation validation, DerivationViews.Calibration calibration) {}

  @Transactional
  Prepared prepare(String model, String version, CreateDerivation request) {
    if (request == null || request.kinds() == null || request.kinds().isEmpty()) {
      throw ApiError.INVALID_REQUEST.exception(
          "Name the variants to derive in 'kinds', e.g. [\"int8-dynamic\", \"fp16\"].");
    }
    Set<DerivationKind> kinds = new LinkedHashSet<>();
    for (String k : request.kinds()) {
      DerivationKind kind = DerivationKind.parse(k).orElseThrow(() -> ApiError.INVALID_REQUEST.exception(
          "Unknown kind '" + k + "'; the server derives int8-dynamic, int8-static and fp16."));
      if (!kinds.add(kind)) {
        throw ApiError.INVALID_REQUEST.exception("Kind '" + k + "' is named twice.");
      }
    }
    if (kinds.contains(DerivationKind.INT8_DYNAMIC) && kinds.contains(DerivationKind.INT8_STATIC)) {
      throw ApiError.INVALID_REQUEST.exception("int8-dynamic and int8-static both publish precision"
          + " int8, one per version and provider; ask for one of them.");
    }
    double floor = request.accuracyFloor() == null ? DEFAULT_ACCURACY_FLOOR : request.accuracyFloor();
    if (!(floor > 0 && floor <= 1)) {
      throw ApiError.INVALID_REQUEST.exception(
          "'accuracyFloor' must be greater than 0 and at most 1 (relative to the reference); got " + floor + ".");
    }
    ModelVersion v = ModelService.usableVersion(model, version);
    Variant source = source(v, request.sourceVariantId());
    for (DerivationKind kind : kinds) {
      boolean taken = Variant.<Variant>list("version = ?1", v).stream()
          .anyMatch(x -> x.precision.equals(kind.precision())
              && x.executionProvider.equals(source.executionProvider));
      if (taken) {
        throw ApiError.DUPLICATE_VARIANT.exception("Version '" + version + "' already has a "
            + kind.precision() + "/" + source.executionProvider + " variant.");
      }
    }
    byte[] bytes = read(store.path(source.sha256));
    try {
      ModelProto parsed = OnnxGraphs.read(store.path(source.sha256));
      for (DerivationKind kind : kinds) {
        try {
          Derivations.check(parsed, kind);
        } catch (DerivationException e) {
          throw ApiError.NOT_DERIVABLE.exception("Cannot derive " + kind.wire() + ": " + e.getMessage() + ".");
        }
      }
      Derivations.validationSet(bytes, request.validation());
      if (kinds.contains(DerivationKind.INT8_STATIC)) {
        Derivations.calibrationSet(bytes, request.calibration());
      }
    } catch (DerivationException e) {
      throw ApiError.NOT_DERIVABLE.exception("Cannot derive from variant " + source.id + ": " + e.getMessage() + ".");
    } catch (IllegalArgumentException e) {
      throw ApiError.INVALID_REQUEST.exception("Validation or calibration samples do not fit the model: "
          + e.getMessage() + ".");
    }
    return new Prepared(v.id, source.id, new ArrayList<>(kinds), floor, request.validation(),
        request.calibration());
  }

  @Transactional
  JobView enqueue(Prepared p) {
    DerivationJob job = new DerivationJob();
    job.id = UUID.randomUUID();
    job.version = ModelVersion.findById(p.versionId());
    job.sourceVariantId = p.sourceId();
    job.kinds = p.kinds().stream().map(DerivationKind::wire).toList();
    job.accuracyFloor = p.floor();
    job.validation = p.validation();
    job.calibration = p.calibration();
    job.state = DerivationJob.QUEUED;
    job.step = "queued";
    job.createdAt = clock.instant();
    job.persist();
    return JobView.of(job, List.of());
  }

  @Transactional
  public JobView get(String model, String version, UUID jobId) {
    ModelVersion v = ModelService.version(model, version);
    DerivationJob job = DerivationJob.findById(jobId);
    if (job == null || !job.version.id.equals(v.id)) {
      throw ApiError.NOT_FOUND.exception("Version '" + version + "' of model '" + model
          + "' has no derivation job " + jobId + ".");
    }
    return JobView.of(job, DerivedVariant.ofJob(job.id));
  }

  @Transactional
  public List<JobView> list(String model, String version) {
    ModelVersion v = ModelService.version(model, version);
    return DerivationJob.<DerivationJob>list("version = ?1 order by createdAt", v).stream()
        .map(j -> JobView.of(j, DerivedVariant.ofJob(j.id))).toList();
  }

  private static Variant source(ModelVersion v, UUID requested) {
    if (requested != null) {
      Variant s = Variant.findById(requested);
      if (s == null || !s.version.id.equals(v.id)) {
        throw ApiError.NOT_FOUND.exception("Version '" + v.version + "' has no variant " + requested + ".");
      }
      if (!s.precision.equals("fp32")) {
        throw ApiError.NOT_DERIVABLE.exception("Variant " + requested + " is " + s.precision
            + "; derive from an fp32 reference.");
      }
      return s;
    }
    return Variant.<Variant>list("version = ?1 and precision = 'fp32' order by createdAt", v).stream()
        .findFirst().orElseThrow(() -> ApiError.ILLEGAL_STATE.exception("Version '" + v.version
            + "' of model '" + v.model.name + "' has no fp32 variant to derive from; upload one first."));
  }

  static byte[] read(Path file) {
    try {
      if (Files.size(file) > OnnxGraphs.MAX_MODEL_BYTES) {
        throw new DerivationException("the model is larger than 2 GiB, which ONNX protobuf cannot hold");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
