package dev.modelfleet.server.delta;

import dev.modelfleet.onnx.delta.DeltaMaker;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.model.AgentRelease;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.model.VariantPublished;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Makes deltas for a newly published variant from the variants of the same model's earlier versions
 * that devices may run now: same precision, execution provider, architecture and CPU flags, the
 * {@link DeltaConfig#bases()} most recent. It works on one background thread after the publishing
 * transaction committed, so an upload never waits for it; a replica that stops meanwhile leaves
 * that variant without deltas (devices then download it whole).
 */
@ApplicationScoped
public class DeltaMaking {

  private static final Logger LOG = Logger.getLogger(DeltaMaking.class);

  private final ArtifactStore store;
  private final DeltaConfig config;
  private final Clock clock;
  private final MadeCounters counters;
  private final MakerThread worker;

  DeltaMaking(ArtifactStore store, DeltaConfig config, Clock clock, MeterRegistry registry) {
    this.store = store;
    this.config = config;
    this.clock = clock;
    this.counters =
        MadeCounters.register(
            registry, "deltas", "Model deltas made", "Model deltas that could not be made");
    this.worker = new MakerThread("delta-maker", Thread.NORM_PRIORITY, "make deltas for", counters);
  }

  void published(@Observes(during = TransactionPhase.AFTER_SUCCESS) VariantPublished event) {
    if (config.enabled()) {
      worker.submit(event.variantId(), this::makeFor);
    }
  }

  void stop(@Observes ShutdownEvent stopping) {
    worker.stop();
  }

  /** Whether everything published so far has been weighed (made, kept or dropped). */
  public boolean idle() {
    return worker.idle();
  }

  /** Weighs a delta from each base not weighed before; returns the rows recorded now. */
  List<VariantDelta> makeFor(UUID variantId) throws IOException {
    Plan plan = QuarkusTransaction.requiringNew().call(() -> plan(variantId));
    List<VariantDelta> made = new ArrayList<>();
    if (plan == null) {
      return made;
    }
    for (Base base : plan.bases()) {
      made.add(make(plan, base));
    }
    return made;
  }

  private record Base(UUID variantId, String sha256, long size) {}

  private record Plan(UUID variantId, String sha256, long size, List<Base> bases) {}

  private Plan plan(UUID variantId) {
    Variant target = Variant.findById(variantId);
    // Agent releases: a device reports no installed artifact for them (its jar is not in its
    // model store), so no delta could ever be offered; weighing 30 MB jars would only cost CPU.
    if (target == null || AgentRelease.is(target.version.model.name)) {
      return null;
    }
    List<Variant> candidates =
        Variant.list(
            "version.model = ?1 and version <> ?2 and precision = ?3 and executionProvider = ?4"
                + " and arch = ?5 and createdAt <= ?6 order by createdAt desc",
            target.version.model,
            target.version,
            target.precision,
            target.executionProvider,
            target.arch,
            target.createdAt);
    List<Base> bases = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Variant candidate : candidates) {
      if (bases.size() >= config.bases()) {
        break;
      }
      String sha256 = candidate.sha256.strip();
      if (!candidate.requiredCpuFlags.equals(target.requiredCpuFlags)
          || sha256.equals(target.sha256.strip())
          || !seen.add(sha256)) {
        continue;
      }
      if (!VariantDelta.exists(target.id, candidate.id)) {
        bases.add(new Base(candidate.id, sha256, candidate.size));
      }
    }
    return new Plan(target.id, target.sha256.strip(), target.size, bases);
  }

  private VariantDelta make(Plan plan, Base base) throws IOException {
    List<Path> temporary = new ArrayList<>();
    try {
      Path baseFile = MadeArtifacts.local(store, base.sha256(), temporary);
      Path targetFile = MadeArtifacts.local(store, plan.sha256(), temporary);
      Path deltaFile = Files.createTempFile("modelfleet-delta-", ".mfd");
      temporary.add(deltaFile);
      long started = System.nanoTime();
      long size;
      try (OutputStream out = Files.newOutputStream(deltaFile)) {
        size = DeltaMaker.make(baseFile, targetFile, out);
      }
      long makeMs = (System.nanoTime() - started) / 1_000_000;
      boolean keep = size <= (1.0 - config.minSaving()) * plan.size();
      String deltaSha256 = keep ? MadeArtifacts.store(store, deltaFile) : null;
      VariantDelta row =
          QuarkusTransaction.requiringNew()
              .call(() -> record(plan, base, deltaSha256, size, makeMs));
      counters.outcome(keep);
      LOG.infof(
          "delta for variant %s from %s: %d of %d bytes (%.1f %%) in %d ms, %s",
          plan.variantId(),
          base.sha256(),
          size,
          plan.size(),
          100.0 * size / Math.max(1, plan.size()),
          makeMs,
          keep ? "kept" : "saves too little, dropped");
      return row;
    } finally {
      for (Path file : temporary) {
        Files.deleteIfExists(file);
      }
    }
  }

  /** Records the delta; a kept one also gets its {@code artifacts} row. */
  private VariantDelta record(Plan plan, Base base, String deltaSha256, long size, long makeMs) {
    if (deltaSha256 != null) {
      MadeArtifacts.record(store, deltaSha256, size, clock.instant());
    }
    VariantDelta row = new VariantDelta();
    row.id = UUID.randomUUID();
    row.targetVariantId = plan.variantId();
    row.baseVariantId = base.variantId();
    row.baseSha256 = base.sha256();
    row.baseSize = base.size();
    row.deltaSha256 = deltaSha256;
    row.deltaSize = size;
    row.targetSize = plan.size();
    row.kept = deltaSha256 != null;
    row.makeMs = makeMs;
    row.createdAt = clock.instant();
    row.persist();
    return row;
  }
}
