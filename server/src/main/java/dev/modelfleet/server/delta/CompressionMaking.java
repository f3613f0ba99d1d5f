package dev.modelfleet.server.delta;

import dev.modelfleet.onnx.delta.WholeCompression;
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
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Weighs a newly published variant compressed whole ({@link WholeCompression}): a delta with no
 * base, for devices that hold no earlier version or whose delta was not kept. fp32 weights shrink
 * by 7-20 % in what was measured, int8 anywhere from 0 to 30 %, so each artifact is measured and
 * its copy kept only when it saves {@link DeltaConfig#compressionMinSaving()}. Like {@link
 * DeltaMaking}, on its own background thread after the publishing transaction committed; a replica
 * that stops meanwhile leaves the variant served whole.
 */
@ApplicationScoped
public class CompressionMaking {

  private static final Logger LOG = Logger.getLogger(CompressionMaking.class);

  private final ArtifactStore store;
  private final DeltaConfig config;
  private final Clock clock;
  private final MadeCounters counters;
  private final MakerThread worker;

  CompressionMaking(ArtifactStore store, DeltaConfig config, Clock clock, MeterRegistry registry) {
    this.store = store;
    this.config = config;
    this.clock = clock;
    this.counters =
        MadeCounters.register(
            registry,
            "compressions",
            "Artifacts compressed whole",
            "Artifacts that could not be compressed");
    this.worker = new MakerThread("compression-maker", Thread.MIN_PRIORITY, "compress", counters);
  }

  void published(@Observes(during = TransactionPhase.AFTER_SUCCESS) VariantPublished event) {
    if (config.compression()) {
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

  private record Target(UUID variantId, String sha256, long size) {}

  /** Weighs the variant's compressed copy unless weighed before; returns the row recorded now. */
  VariantCompression makeFor(UUID variantId) throws IOException {
    Target target = QuarkusTransaction.requiringNew().call(() -> target(variantId));
    if (target == null) {
      return null;
    }
    List<Path> temporary = new ArrayList<>();
    try {
      Path artifact = MadeArtifacts.local(store, target.sha256(), temporary);
      Path compressed = Files.createTempFile("modelfleet-compressed-", ".zst");
      temporary.add(compressed);
      long started = System.nanoTime();
      long size;
      try (OutputStream out = Files.newOutputStream(compressed)) {
        size = WholeCompression.compress(artifact, out);
      }
      long makeMs = (System.nanoTime() - started) / 1_000_000;
      boolean keep = size <= (1.0 - config.compressionMinSaving()) * target.size();
      String sha256 = keep ? MadeArtifacts.store(store, compressed) : null;
      VariantCompression row =
          QuarkusTransaction.requiringNew().call(() -> record(target, sha256, size, makeMs));
      counters.outcome(keep);
      LOG.infof(
          "variant %s compressed whole: %d of %d bytes (%.1f %%) in %d ms, %s",
          target.variantId(),
          size,
          target.size(),
          100.0 * size / Math.max(1, target.size()),
          makeMs,
          keep ? "kept" : "saves too little, dropped");
      return row;
    } finally {
      for (Path file : temporary) {
        Files.deleteIfExists(file);
      }
    }
  }

  private static Target target(UUID variantId) {
    Variant variant = Variant.findById(variantId);
    // Agent releases are jars, compressed already; variants without bytes have nothing to weigh.
    if (variant == null
        || variant.sha256 == null
        || AgentRelease.is(variant.version.model.name)
        || VariantCompression.findById(variantId) != null) {
      return null;
    }
    return new Target(variant.id, variant.sha256.strip(), variant.size);
  }

  private VariantCompression record(Target target, String sha256, long size, long makeMs) {
    if (sha256 != null) {
      MadeArtifacts.record(store, sha256, size, clock.instant());
    }
    VariantCompression row = new VariantCompression();
    row.variantId = target.variantId();
    row.encoding = WholeCompression.ENCODING;
    row.compressedSha256 = sha256;
    row.compressedSize = size;
    row.targetSize = target.size();
    row.kept = sha256 != null;
    row.makeMs = makeMs;
    row.createdAt = clock.instant();
    row.persist();
    return row;
  }
}
