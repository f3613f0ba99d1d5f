package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.common.ApiException;
import dev.modelfleet.server.model.ModelViews.VariantView;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.model.VariantNeeds;
import dev.modelfleet.server.model.VariantUploadService;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Runs derivation jobs on one background thread per server, so a job never holds a request thread
 * and at most one job uses this server's CPU at a time.
 *
 * <p>Jobs live in PostgreSQL. A replica claims the oldest queued job with {@code FOR UPDATE SKIP
 * LOCKED}, so two replicas never take the same one, and keeps a heartbeat on it while it works. A
 * job left {@code running} by a server that died (its heartbeat older than {@code stale-after}) is
 * claimed again and resumed: kinds already recorded are skipped, and a variant published just
 * before the crash is found by its content and adopted, not published twice. After {@link
 * #MAX_ATTEMPTS} claims the job is failed instead, so a model that crashes the server cannot loop
 * forever.
 */
@ApplicationScoped
public class DerivationRunner {

  private static final Logger LOG = Logger.getLogger(DerivationRunner.class);
  static final int MAX_ATTEMPTS = 3;

  private final ArtifactStore store;
  private final VariantUploadService uploads;
  // looked up lazily: the service also wakes this runner
  private final jakarta.enterprise.inject.Instance<DerivationService> service;
  private final Clock clock;
  private final Duration staleAfter;
  private final boolean enabled;
  private final String owner = "server-" + UUID.randomUUID();
  private final Object signal = new Object();
  private volatile boolean running;
  private final DerivationMetrics metrics;
  private final SampleFiles samples;
  private final RejectedVariants rejected;
  private volatile UUID current;
  private Thread worker;
  private ScheduledExecutorService heartbeat;

  DerivationRunner(
      ArtifactStore store,
      VariantUploadService uploads,
      jakarta.enterprise.inject.Instance<DerivationService> service,
      Clock clock,
      DerivationConfig config,
      DerivationMetrics metrics,
      SampleFiles samples,
      RejectedVariants rejected) {
    this.rejected = rejected;
    this.metrics = metrics;
    this.samples = samples;
    this.store = store;
    this.uploads = uploads;
    this.service = service;
    this.clock = clock;
    this.staleAfter = config.staleAfter();
    this.enabled = config.enabled();
  }

  void onStart(@Observes StartupEvent started) {
    if (!enabled) {
      LOG.info("derivation jobs disabled on this replica (modelfleet.derivation.enabled=false)");
      return;
    }
    running = true;
    heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "derivation-heartbeat");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(1, staleAfter.toMillis() / 4);
    heartbeat.scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
    worker = new Thread(this::loop, "derivation-runner");
    worker.setDaemon(true);
    worker.setPriority(Thread.MIN_PRIORITY); // requests come first
    worker.start();
  }

  void onStop(@Observes ShutdownEvent stopping) throws InterruptedException {
    running = false;
    if (heartbeat != null) {
      heartbeat.shutdownNow();
    }
    if (worker != null) {
      worker.interrupt();
      worker.join(5_000);
    }
  }

  /** A new job was queued here: look now rather than at the next poll. */
  void wake() {
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  private void loop() {
    while (running) {
      try {
        Optional<UUID> job = claim();
        if (job.isPresent()) {
          run(job.get());
          continue;
        }
        if (service.get().applyPolicies() > 0) {
          continue; // claim what the policies just queued
        }
        synchronized (signal) {
          signal.wait(1_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("derivation runner iteration failed; retrying", e);
        sleepQuietly();
      }
    }
  }

  /**
   * Takes the oldest queued job, or one whose runner stopped beating, for this server. Empty when
   * there is none or every candidate is locked by another replica's claim.
   */
  Optional<UUID> claim() {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              Instant now = clock.instant();
              while (true) {
                @SuppressWarnings("unchecked")
                List<Object[]> rows =
                    Panache.getEntityManager()
                        .createNativeQuery(
                            "select cast(id as text), state, attempts from derivation_jobs"
                                + " where state = 'queued' or (state = 'running' and heartbeat_at < ?1)"
                                + " order by created_at limit 1 for update skip locked")
                        .setParameter(1, now.minus(staleAfter))
                        .getResultList();
                if (rows.isEmpty()) {
                  return Optional.<UUID>empty();
                }
                UUID id = UUID.fromString((String) rows.get(0)[0]);
                int attempts = ((Number) rows.get(0)[2]).intValue();
                if (attempts >= MAX_ATTEMPTS) {
                  update(
                      "update derivation_jobs set state = 'failed', finished_at = ?2, error = ?3 where id = ?1",
                      id,
                      now,
                      "abandoned: the server running it stopped " + attempts + " times");
                  continue;
                }
                update(
                    "update derivation_jobs set state = 'running', owner = ?2, heartbeat_at = ?3,"
                        + " attempts = attempts + 1 where id = ?1",
                    id,
                    owner,
                    now);
                return Optional.of(id);
              }
            });
  }

  private static void update(String sql, Object... params) {
    var q = Panache.getEntityManager().createNativeQuery(sql);
    for (int i = 0; i < params.length; i++) {
      q.setParameter(i + 1, params[i]);
    }
    q.executeUpdate();
  }

  private void beat() {
    UUID job = current;
    if (job == null) {
      return;
    }
    try {
      QuarkusTransaction.requiringNew()
          .run(
              () ->
                  update(
                      "update derivation_jobs set heartbeat_at = ?3 where id = ?1 and owner = ?2",
                      job,
                      owner,
                      clock.instant()));
    } catch (RuntimeException e) {
      LOG.warn("derivation heartbeat failed", e);
    }
  }

  private record Plan(
      String model,
      String version,
      String precisionSource,
      String provider,
      VariantNeeds needs,
      String sha256,
      long size,
      List<DerivationKind> kinds,
      double floor,
      java.util.Map<String, Double> floors,
      java.util.Map<String, List<String>> comparators,
      DerivationViews.Validation validation,
      DerivationViews.Calibration calibration,
      Set<String> done) {

    double floorOf(DerivationKind kind) {
      return floors != null && floors.get(kind.wire()) != null ? floors.get(kind.wire()) : floor;
    }

    Plan withoutSamples() {
      return new Plan(
          model,
          version,
          precisionSource,
          provider,
          needs,
          sha256,
          size,
          kinds,
          floor,
          floors,
          comparators,
          null,
          null,
          done);
    }
  }

  /** Runs a claimed job to its end; every failure ends in a recorded state, never a stuck one. */
  void run(UUID jobId) {
    current = jobId;
    long startNanos = System.nanoTime();
    String ended = DerivationJob.FAILED;
    try {
      Plan plan = QuarkusTransaction.requiringNew().call(() -> plan(jobId));
      byte[] reference = DerivationService.read(store, plan.sha256());
      ModelProto parsed = OnnxGraphs.parse(reference);
      // every sample made a tensor now, and the job's JSON of them (boxed numbers, several times
      // the tensors' size for a large body) dropped, before anything is timed
      ValidationSet set = samples.validationSet(reference, plan.validation());
      Set<String> done = plan.done();
      boolean calibrates =
          plan.kinds().stream().anyMatch(k -> k.calibrates() && !done.contains(k.wire()));
      ValidationSet calibrationSet =
          calibrates ? samples.calibrationSet(reference, plan.calibration()) : null;
      DerivationViews.Calibration settings =
          plan.calibration() == null
              ? null
              : new DerivationViews.Calibration(
                  null, plan.calibration().method(), plan.calibration().percentile(), null);
      plan = plan.withoutSamples();
      int total = plan.kinds().size() * 3;
      int step = 0;
      for (DerivationKind kind : plan.kinds()) {
        if (plan.done().contains(kind.wire())) {
          step += 3;
          continue;
        }
        DerivedVariant result = new DerivedVariant();
        result.kind = kind.wire();
        try {
          progress(jobId, "deriving " + kind.wire(), step++, total);
          Derivations.Derived derived =
              Derivations.derive(
                  parsed,
                  kind,
                  calibrationSet,
                  settings,
                  reference,
                  set,
                  plan.floorOf(kind),
                  JobComparators.specs(plan.comparators()));
          result.report = derived.report();
          result.size = (long) derived.model().length;
          result.sizeRatio = derived.model().length / (double) plan.size();
          progress(jobId, "validating " + kind.wire(), step++, total);
          double floor = plan.floorOf(kind);
          VariantCheck.Figures figures =
              VariantCheck.compare(
                  reference, derived.model(), set, JobComparators.specs(plan.comparators()), floor);
          result.figures = figures.outputs();
          result.comparisons = figures.comparisons();
          result.accuracy = figures.accuracy();
          result.latencyMs = figures.latencyMs();
          result.referenceLatencyMs = figures.referenceLatencyMs();
          result.latencyRatio = figures.latency().ratio();
          result.latencyRatioMin = figures.latency().min();
          result.latencyRatioMax = figures.latency().max();
          result.latencyRounds = figures.latency().rounds();
          result.optimizationLevel = figures.loading().level();
          progress(jobId, "publishing " + kind.wire(), step++, total);
          if (!figures.loading().asDevicesDo()) {
            // devices open variants with every optimisation on; this one would not load there
            result.outcome = DerivedVariant.REJECTED;
            result.reason =
                "ONNX Runtime loads it only with graph optimisations "
                    + figures.loading().level()
                    + " (with all of them: "
                    + figures.loading().failure()
                    + "); devices load variants with all optimisations, so it is not published";
            result.report =
                result.report.withNote(
                    "measured with graph optimisations " + figures.loading().level());
          } else if (figures.passes()) {
            result.variantId = publish(plan, kind, derived.model(), figures.accuracy());
            result.outcome = DerivedVariant.ACCEPTED;
          } else {
            result.outcome = DerivedVariant.REJECTED;
            result.reason = figures.shortfall() + "; not published";
          }
          if (DerivedVariant.REJECTED.equals(result.outcome)) {
            rejected.keep(result, derived.model());
          }
        } catch (DerivationException | ApiException | IllegalArgumentException e) {
          result.outcome = DerivedVariant.FAILED;
          result.reason = Reasons.of(e);
        }
        record(jobId, result);
      }
      ended = endState(jobId);
    } catch (RuntimeException e) {
      LOG.warnf(e, "derivation job %s failed", jobId);
      finish(
          jobId,
          DerivationJob.FAILED,
          e instanceof DerivationException || e instanceof ApiException
              ? Reasons.of(e)
              : "internal error: " + e);
    } finally {
      current = null;
      metrics.finished(ended, System.nanoTime() - startNanos);
    }
  }

  /**
   * Ends the job by its kinds' outcomes: {@code succeeded} when none failed (rejected is an answer,
   * not a failure), {@code failed} when all did, else {@code partially_succeeded}; the failures'
   * reasons in {@code error}.
   */
  private String endState(UUID jobId) {
    List<DerivedVariant> outcomes =
        QuarkusTransaction.requiringNew().call(() -> DerivedVariant.ofJob(jobId));
    List<DerivedVariant> failed =
        outcomes.stream().filter(d -> DerivedVariant.FAILED.equals(d.outcome)).toList();
    String state =
        failed.isEmpty()
            ? DerivationJob.SUCCEEDED
            : failed.size() == outcomes.size()
                ? DerivationJob.FAILED
                : DerivationJob.PARTIALLY_SUCCEEDED;
    String error =
        failed.isEmpty()
            ? null
            : Reasons.bounded(
                failed.size()
                    + " of "
                    + outcomes.size()
                    + " kinds failed: "
                    + failed.stream()
                        .map(d -> d.kind + ": " + d.reason)
                        .collect(Collectors.joining(" | ")),
                Reasons.LIMIT);
    finish(jobId, state, error);
    return state;
  }

  private Plan plan(UUID jobId) {
    DerivationJob job = DerivationJob.findById(jobId);
    Variant source = Variant.findById(job.sourceVariantId);
    Set<String> done =
        DerivedVariant.ofJob(jobId).stream().map(d -> d.kind).collect(Collectors.toSet());
    return new Plan(
        job.version.model.name,
        job.version.version,
        source.precision,
        source.executionProvider,
        new VariantNeeds(source.arch, source.requiredCpuFlags, source.minMemoryBytes, null),
        source.sha256,
        source.size,
        job.kinds.stream().map(k -> DerivationKind.parse(k).orElseThrow()).toList(),
        job.accuracyFloor,
        job.floors,
        job.comparators,
        job.validation,
        job.calibration,
        done);
  }

  /** Publishes and signs through the upload path; adopts the variant a crashed run published. */
  private UUID publish(Plan plan, DerivationKind kind, byte[] model, double accuracy) {
    String sha256 = dev.modelfleet.protocol.Dsse.sha256Hex(model);
    Optional<UUID> existing =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    Variant.<Variant>list(
                            "version.model.name = ?1 and version.version = ?2 and sha256 = ?3",
                            plan.model(),
                            plan.version(),
                            sha256)
                        .stream()
                        .map(v -> v.id)
                        .findFirst());
    if (existing.isPresent()) {
      return existing.get();
    }
    VariantNeeds needs =
        new VariantNeeds(
            plan.needs().arch(),
            plan.needs().requiredCpuFlags(),
            plan.needs().minMemoryBytes(),
            accuracy);
    try {
      VariantView published =
          uploads.upload(
              plan.model(),
              plan.version(),
              kind.precision(),
              plan.provider(),
              needs,
              new ByteArrayInputStream(model));
      return published.id();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void progress(UUID jobId, String step, int done, int total) {
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                update(
                    "update derivation_jobs set step = ?2, percent = ?3, heartbeat_at = ?4 where id = ?1",
                    jobId,
                    step,
                    done * 100 / total,
                    clock.instant()));
  }

  private void record(UUID jobId, DerivedVariant result) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              result.id = UUID.randomUUID();
              result.jobId = jobId;
              result.createdAt = clock.instant();
              result.persist();
            });
  }

  private void finish(UUID jobId, String state, String error) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              DerivationJob job = DerivationJob.findById(jobId);
              job.state = state;
              job.error = error;
              job.finishedAt = clock.instant();
              boolean complete = !state.equals(DerivationJob.FAILED);
              job.step = complete ? "done" : "failed";
              job.percent = complete ? 100 : job.percent;
            });
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
