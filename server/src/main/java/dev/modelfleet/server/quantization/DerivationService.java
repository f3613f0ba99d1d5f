package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.model.Model;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.quantization.DerivationViews.CreateDerivation;
import dev.modelfleet.server.quantization.DerivationViews.JobView;
import dev.modelfleet.server.quantization.DerivationViews.PolicyRequest;
import dev.modelfleet.server.quantization.DerivationViews.PolicyView;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Accepts derivation requests. Everything that can be known before the work starts is checked here,
 * so a bad request is a 4xx with nothing queued: the reference exists and is fp32, each kind
 * applies to the model, no variant of that precision exists yet, the validation samples fit the
 * signature. The work itself runs in {@link DerivationRunner}.
 */
@ApplicationScoped
public class DerivationService {

  public static final double DEFAULT_ACCURACY_FLOOR = 0.99;

  private final ArtifactStore store;
  private final DerivationRunner runner;
  private final Clock clock;
  private final SampleFiles samples;

  DerivationService(
      ArtifactStore store, DerivationRunner runner, Clock clock, SampleFiles samples) {
    this.store = store;
    this.runner = runner;
    this.clock = clock;
    this.samples = samples;
  }

  public JobView start(String model, String version, CreateDerivation request) {
    Prepared prepared = prepare(model, version, request);
    JobView job = enqueue(prepared, false);
    runner.wake();
    return job;
  }

  // --- policies -------------------------------------------------------------------------------

  @Transactional
  public PolicyView setPolicy(String model, PolicyRequest request) {
    List<DerivationKind> kinds = kinds(request.kinds());
    for (DerivationKind kind : kinds) {
      if (kind.calibrates()) {
        throw ApiError.INVALID_REQUEST.exception(
            "A policy cannot derive "
                + kind.wire()
                + ": its calibration samples belong to a version; request it per version.");
      }
    }
    double floor = floor(request.accuracyFloor());
    List<String> wire = kinds.stream().map(DerivationKind::wire).toList();
    Map<String, Double> floors = JobComparators.checkFloors(wire, request.floors());
    // the outputs are checked per version, when its policy job is created (a version whose
    // outputs the comparators do not fit gets a failed job saying so)
    Map<String, List<String>> comparators = JobComparators.checkTexts(request.comparators());
    Model m = ModelService.model(model);
    DerivationPolicy policy = DerivationPolicy.findById(m.id);
    boolean created = policy == null;
    if (created) {
      policy = new DerivationPolicy();
      policy.modelId = m.id;
      policy.createdAt = clock.instant();
    }
    policy.kinds = wire;
    policy.accuracyFloor = floor;
    policy.validation = request.validation();
    policy.comparators = comparators;
    policy.floors = floors;
    if (created) {
      policy.persist();
    }
    return view(model, policy);
  }

  private static PolicyView view(String model, DerivationPolicy policy) {
    return new PolicyView(
        model,
        policy.kinds,
        policy.accuracyFloor,
        policy.validation,
        policy.comparators,
        policy.floors,
        policy.createdAt);
  }

  @Transactional
  public PolicyView getPolicy(String model) {
    DerivationPolicy policy =
        Model.findByName(model)
            .<DerivationPolicy>map(m -> DerivationPolicy.findById(m.id))
            .orElse(null);
    if (policy == null) {
      throw ApiError.NOT_FOUND.exception("Model '" + model + "' has no derivation policy.");
    }
    return view(model, policy);
  }

  @Transactional
  public void deletePolicy(String model) {
    if (!Model.findByName(model).map(m -> DerivationPolicy.deleteById(m.id)).orElse(false)) {
      throw ApiError.NOT_FOUND.exception("Model '" + model + "' has no derivation policy.");
    }
  }

  /**
   * Queues the policy job of every fp32 variant uploaded after its model's policy that has none
   * yet. A policy job the checks refuse is recorded as failed with the reason, so the operator sees
   * why no variant appeared. Safe on every replica at once: the unique index on policy jobs per
   * version lets the first insert win.
   */
  /** How many jobs it queued (refused policy jobs, recorded as failed, do not count). */
  int applyPolicies() {
    List<Object[]> due =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  @SuppressWarnings("unchecked")
                  List<Object[]> rows =
                      Panache.getEntityManager()
                          .createNativeQuery(
                              "select m.name, mv.version from variants v"
                                  + " join model_versions mv on mv.id = v.version_id"
                                  + " join models m on m.id = mv.model_id"
                                  + " join derivation_policies p on p.model_id = m.id"
                                  + " where v.precision = 'fp32' and v.created_at >= p.created_at and mv.revoked_at is null"
                                  + " and not exists (select 1 from derivation_jobs j where j.version_id = mv.id and j.policy_job)"
                                  + " limit 20")
                          .getResultList();
                  return rows;
                });
    int queued = 0;
    for (Object[] row : due) {
      String model = (String) row[0];
      String version = (String) row[1];
      DerivationPolicy policy =
          QuarkusTransaction.requiringNew()
              .call(
                  () ->
                      DerivationPolicy.<DerivationPolicy>find(
                              "modelId = (select id from Model where name = ?1)", model)
                          .firstResult());
      if (policy == null) {
        continue;
      }
      CreateDerivation request =
          new CreateDerivation(
              policy.kinds,
              policy.accuracyFloor,
              null,
              policy.validation,
              null,
              policy.comparators,
              policy.floors);
      try {
        enqueue(prepare(model, version, request), true);
        queued++;
      } catch (dev.modelfleet.server.common.ApiException e) {
        QuarkusTransaction.requiringNew()
            .run(() -> recordRefusedPolicyJob(model, version, policy, e.getMessage()));
      } catch (RuntimeException e) {
        // a concurrent replica inserted this version's policy job first: nothing to do
        if (!isUniqueViolation(e)) {
          throw e;
        }
      }
    }
    return queued;
  }

  private void recordRefusedPolicyJob(
      String model, String version, DerivationPolicy policy, String reason) {
    ModelVersion v = ModelService.version(model, version);
    Variant source =
        Variant.<Variant>list("version = ?1 and precision = 'fp32' order by createdAt", v).stream()
            .findFirst()
            .orElseThrow();
    Panache.getEntityManager()
        .createNativeQuery(
            "insert into derivation_jobs (id, version_id, source_variant_id, kinds, accuracy_floor, state,"
                + " step, percent, error, attempts, created_at, finished_at, policy_job)"
                + " values (?1, ?2, ?3, cast(?4 as jsonb), ?5, 'failed', 'failed', 0, ?6, 0, ?7, ?7, true)"
                + " on conflict do nothing")
        .setParameter(1, UUID.randomUUID())
        .setParameter(2, v.id)
        .setParameter(3, source.id)
        .setParameter(
            4,
            "[" + String.join(",", policy.kinds.stream().map(k -> "\"" + k + "\"").toList()) + "]")
        .setParameter(5, policy.accuracyFloor)
        .setParameter(6, "refused by the checks: " + reason)
        .setParameter(7, clock.instant())
        .executeUpdate();
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static List<DerivationKind> kinds(List<String> wire) {
    if (wire == null || wire.isEmpty()) {
      throw ApiError.INVALID_REQUEST.exception(
          "Name the variants to derive in 'kinds', e.g. [\"int8-dynamic\", \"fp16\"].");
    }
    Set<DerivationKind> kinds = new LinkedHashSet<>();
    for (String k : wire) {
      DerivationKind kind =
          DerivationKind.parse(k)
              .orElseThrow(
                  () ->
                      ApiError.INVALID_REQUEST.exception(
                          "Unknown kind '"
                              + k
                              + "'; the server derives int8-dynamic, int8-static, int8-qdq and fp16."));
      if (!kinds.add(kind)) {
        throw ApiError.INVALID_REQUEST.exception("Kind '" + k + "' is named twice.");
      }
    }
    List<String> int8 =
        kinds.stream().filter(k -> k.precision().equals("int8")).map(DerivationKind::wire).toList();
    if (int8.size() > 1) {
      throw ApiError.INVALID_REQUEST.exception(
          String.join(" and ", int8)
              + (int8.size() == 2 ? " both" : " all")
              + " publish precision int8, one per version and provider; ask for one of them.");
    }
    return new ArrayList<>(kinds);
  }

  private static double floor(Double requested) {
    double floor = requested == null ? DEFAULT_ACCURACY_FLOOR : requested;
    if (!(floor > 0 && floor <= 1)) {
      throw ApiError.INVALID_REQUEST.exception(
          "'accuracyFloor' must be greater than 0 and at most 1 (relative to the reference); got "
              + floor
              + ".");
    }
    return floor;
  }

  private record Prepared(
      UUID versionId,
      UUID sourceId,
      List<DerivationKind> kinds,
      double floor,
      Map<String, Double> floors,
      Map<String, List<String>> comparators,
      DerivationViews.Validation validation,
      DerivationViews.Calibration calibration) {}

  @Transactional
  Prepared prepare(String model, String version, CreateDerivation request) {
    List<DerivationKind> kinds = kinds(request.kinds());
    double floor = floor(request.accuracyFloor());
    ModelVersion v = ModelService.usableVersion(model, version);
    Variant source = source(v, request.sourceVariantId());
    for (DerivationKind kind : kinds) {
      boolean taken =
          Variant.<Variant>list("version = ?1", v).stream()
              .anyMatch(
                  x ->
                      x.precision.equals(kind.precision())
                          && x.executionProvider.equals(source.executionProvider));
      if (taken) {
        throw ApiError.DUPLICATE_VARIANT.exception(
            "Version '"
                + version
                + "' already has a "
                + kind.precision()
                + "/"
                + source.executionProvider
                + " variant.");
      }
    }
    byte[] bytes = read(store, source.sha256);
    Map<String, Double> floors =
        JobComparators.checkFloors(
            kinds.stream().map(DerivationKind::wire).toList(), request.floors());
    Map<String, List<String>> comparators;
    try {
      ModelProto parsed = OnnxGraphs.parse(bytes);
      for (DerivationKind kind : kinds) {
        try {
          Derivations.check(parsed, kind);
        } catch (DerivationException e) {
          throw ApiError.NOT_DERIVABLE.exception(
              "Cannot derive " + kind.wire() + ": " + e.getMessage() + ".");
        }
      }
      comparators = JobComparators.check(VariantCheck.outputs(bytes), request.comparators());
      var inputs = VariantCheck.inputs(bytes);
      samples.checkValidation(inputs, request.validation());
      if (kinds.stream().anyMatch(DerivationKind::calibrates)) {
        samples.checkCalibration(inputs, request.calibration());
      } else if (request.calibration() != null) {
        // samples the job would not use: the operator meant another kind, or expects them to be
        throw ApiError.INVALID_REQUEST.exception(
            "Calibration samples were given, but none of the kinds asked for ("
                + String.join(", ", kinds.stream().map(DerivationKind::wire).toList())
                + ") uses them: add int8-static or int8-qdq to kinds, or leave calibration out.");
      }
      if (kinds.contains(DerivationKind.INT8_STATIC)) {
        Derivations.method(request.calibration()); // entropy is int8-qdq's only
      }
    } catch (DerivationException e) {
      throw ApiError.NOT_DERIVABLE.exception(
          "Cannot derive from variant " + source.id + ": " + e.getMessage() + ".");
    } catch (IllegalArgumentException e) {
      throw ApiError.INVALID_REQUEST.exception(
          "Validation or calibration samples do not fit the model: " + e.getMessage() + ".");
    }
    return new Prepared(
        v.id,
        source.id,
        new ArrayList<>(kinds),
        floor,
        floors,
        comparators,
        request.validation(),
        request.calibration());
  }

  @Transactional
  JobView enqueue(Prepared p, boolean policy) {
    DerivationJob job = new DerivationJob();
    job.id = UUID.randomUUID();
    job.version = ModelVersion.findById(p.versionId());
    job.sourceVariantId = p.sourceId();
    job.kinds = p.kinds().stream().map(DerivationKind::wire).toList();
    job.accuracyFloor = p.floor();
    job.floors = p.floors();
    job.comparators = p.comparators();
    job.validation = p.validation();
    job.calibration = p.calibration();
    job.state = DerivationJob.QUEUED;
    job.step = "queued";
    job.createdAt = clock.instant();
    job.policyJob = policy;
    job.persist();
    Panache.getEntityManager().flush(); // a second policy job for the version fails here, not later
    return JobView.of(job, List.of(), clock.instant());
  }

  @Transactional
  public JobView get(String model, String version, UUID jobId) {
    DerivationJob job = job(model, version, jobId);
    return JobView.of(job, DerivedVariant.ofJob(job.id), clock.instant());
  }

  /**
   * The sha256 of a rejected variant's kept file; 404 when the job has no such variant, it was not
   * rejected, or its file is no longer kept.
   */
  @Transactional
  public String rejectedFile(String model, String version, UUID jobId, String kind) {
    DerivationJob job = job(model, version, jobId);
    DerivedVariant d =
        DerivedVariant.<DerivedVariant>find("jobId = ?1 and kind = ?2", job.id, kind)
            .firstResultOptional()
            .orElseThrow(
                () ->
                    ApiError.NOT_FOUND.exception(
                        "Derivation job " + jobId + " has no " + bounded(kind) + " variant."));
    if (!DerivedVariant.REJECTED.equals(d.outcome)) {
      throw ApiError.NOT_FOUND.exception(
          "The "
              + kind
              + " variant of job "
              + jobId
              + " was "
              + d.outcome
              + (d.variantId != null
                  ? "; download it as variant " + d.variantId + " of the version."
                  : "; it has no file."));
    }
    if (!RejectedVariants.isKept(d, clock.instant())) {
      throw ApiError.NOT_FOUND.exception(
          "The rejected "
              + kind
              + " variant of job "
              + jobId
              + (d.retainedUntil == null
                  ? " was not kept (modelfleet.derivation.rejected-retention was 0)."
                  : " was kept until " + d.retainedUntil + " and is gone.")
              + " Run the job again to look at it.");
    }
    return d.artifactSha256;
  }

  private static String bounded(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }

  private static DerivationJob job(String model, String version, UUID jobId) {
    ModelVersion v = ModelService.version(model, version);
    DerivationJob job = DerivationJob.findById(jobId);
    if (job == null || !job.version.id.equals(v.id)) {
      throw ApiError.NOT_FOUND.exception(
          "Version '"
              + version
              + "' of model '"
              + model
              + "' has no derivation job "
              + jobId
              + ".");
    }
    return job;
  }

  @Transactional
  public Page<JobView> list(String model, String version, PageRequest page) {
    ModelVersion v = ModelService.version(model, version);
    return page.fill(
            new Class<?>[] {Instant.class, UUID.class},
            (after, count) ->
                (after == null
                        ? DerivationJob.<DerivationJob>find(
                            "version = ?1 order by createdAt, id", v)
                        : DerivationJob.<DerivationJob>find(
                            "version = ?1 and (createdAt, id) > (?2, ?3) order by createdAt, id",
                            v,
                            after.get(0),
                            after.get(1)))
                    .range(0, count - 1)
                    .list(),
            j -> List.of(j.createdAt, j.id),
            null)
        .map(j -> JobView.of(j, DerivedVariant.ofJob(j.id), clock.instant()));
  }

  static Variant source(ModelVersion v, UUID requested) {
    if (requested != null) {
      Variant s = Variant.findById(requested);
      if (s == null || !s.version.id.equals(v.id)) {
        throw ApiError.NOT_FOUND.exception(
            "Version '" + v.version + "' has no variant " + requested + ".");
      }
      if (!s.precision.equals("fp32")) {
        throw ApiError.NOT_DERIVABLE.exception(
            "Variant " + requested + " is " + s.precision + "; derive from an fp32 reference.");
      }
      return s;
    }
    return Variant.<Variant>list("version = ?1 and precision = 'fp32' order by createdAt", v)
        .stream()
        .findFirst()
        .orElseThrow(
            () ->
                ApiError.ILLEGAL_STATE.exception(
                    "Version '"
                        + v.version
                        + "' of model '"
                        + v.model.name
                        + "' has no fp32 variant to derive from; upload one first."));
  }

  /** The whole artifact, which ONNX protobuf parses whole (and cannot above 2 GiB). */
  static byte[] read(ArtifactStore store, String sha256) {
    try (ArtifactStore.Stored stored = store.open(sha256, 0)) {
      if (stored.size() > OnnxGraphs.MAX_MODEL_BYTES) {
        throw new DerivationException(
            "the model is larger than 2 GiB, which ONNX protobuf cannot hold");
      }
      return stored.body().readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
