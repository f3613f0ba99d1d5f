package dev.modelfleet.server.quantization;

import dev.modelfleet.server.quantization.graph.QuantizationReport;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The JSON of the derivation API. */
public final class DerivationViews {

  private DerivationViews() {}

  /**
   * {@code kinds}: "int8-dynamic", "fp16". {@code accuracyFloor}: the least accuracy relative to
   * the reference a variant needs to be published (default 0.99), judged by each output's default
   * comparator (top-1 agreement for class scores, cosine similarity otherwise). {@code floors}:
   * kind → its own floor instead, e.g. {"int8-dynamic": 0.98, "fp16": 0.999}. {@code comparators}:
   * output name → the comparators that judge it instead of its default, each with its own bound,
   * e.g. {"maps": ["iou@0.3>=0.95", "cosine>=0.97"]} (see docs/quantization.md). {@code
   * sourceVariantId}: the fp32 reference; default the version's fp32 variant.
   */
  public record CreateDerivation(
      List<String> kinds,
      Double accuracyFloor,
      UUID sourceVariantId,
      Validation validation,
      Calibration calibration,
      Map<String, List<String>> comparators,
      Map<String, Double> floors) {

    public CreateDerivation(
        List<String> kinds,
        Double accuracyFloor,
        UUID sourceVariantId,
        Validation validation,
        Calibration calibration) {
      this(kinds, accuracyFloor, sourceVariantId, validation, calibration, null, null);
    }
  }

  /**
   * For int8-static and int8-qdq: the operator's calibration inputs (same form as validation
   * samples, or {@code samplesFile}, the id of an uploaded .npy/.npz), {@code method} "minmax"
   * (int8-static's default) or "percentile", for int8-qdq also "entropy" or "mse" (its default),
   * {@code percentile} in (50, 100], default 99.99.
   */
  public record Calibration(
      List<Map<String, ValidationSet.SuppliedTensor>> samples,
      String method,
      Double percentile,
      String samplesFile) {}

  /**
   * {@code samples}: the operator's inputs, name → {shape, data}; {@code shapes}: when inputs are
   * synthesized, the shape to use per input instead of the declared one (symbolic axes: 1); {@code
   * count}: how many inputs to synthesize (default 8, at most 64); {@code samplesFile}: instead of
   * {@code samples}, the id of a .npy/.npz uploaded to the version's derivation-samples.
   */
  public record Validation(
      List<Map<String, ValidationSet.SuppliedTensor>> samples,
      Map<String, List<Long>> shapes,
      Integer count,
      String samplesFile) {}

  /**
   * An uploaded sample file: {@code id} (its sha256) is what a job's {@code samplesFile} names;
   * {@code format} "npy" or "npz"; {@code samples}: how many; {@code shapes}: per input, the shape
   * of one sample.
   */
  public record SampleFileView(
      String id, String format, long size, int samples, Map<String, List<Long>> shapes) {}

  /** {@code kinds}: int8-dynamic and/or fp16 (int8-static needs calibration per version). */
  /**
   * {@code comparators} and {@code floors}: as a job's ({@link CreateDerivation}); each policy job
   * is created with them.
   */
  public record PolicyRequest(
      List<String> kinds,
      Double accuracyFloor,
      Validation validation,
      Map<String, List<String>> comparators,
      Map<String, Double> floors) {

    public PolicyRequest(List<String> kinds, Double accuracyFloor, Validation validation) {
      this(kinds, accuracyFloor, validation, null, null);
    }
  }

  public record PolicyView(
      String model,
      List<String> kinds,
      double accuracyFloor,
      Validation validation,
      Map<String, List<String>> comparators,
      Map<String, Double> floors,
      Instant createdAt) {}

  /**
   * A rejected variant's file, kept for inspection until {@code retainedUntil}: {@code href} is
   * where an operator downloads it (GET, any role that reads models).
   */
  public record RetainedFile(String sha256, Long size, Instant retainedUntil, String href) {}

  /**
   * {@code comparisons}: every comparator that judged the variant, with its value and verdict;
   * {@code rejectedFile}: a rejected variant's file while it is kept, else null.
   */
  public record DerivedView(
      String kind,
      String precision,
      String outcome,
      UUID variantId,
      String reason,
      Long size,
      Double sizeRatio,
      Double accuracy,
      Double latencyMs,
      Double referenceLatencyMs,
      Double latencyRatio,
      List<VariantCheck.OutputFigures> outputs,
      QuantizationReport report,
      Double latencyRatioMin,
      Double latencyRatioMax,
      Integer latencyRounds,
      String optimizationLevel,
      List<VariantCheck.Comparison> comparisons,
      RetainedFile rejectedFile) {

    static DerivedView of(DerivedVariant d, DerivationJob job, Instant now) {
      String precision = DerivationKind.parse(d.kind).map(DerivationKind::precision).orElse(null);
      // jobs from before interleaved timing have only the two medians
      Double ratio =
          d.latencyRatio != null
              ? d.latencyRatio
              : d.latencyMs == null || d.referenceLatencyMs == null || d.referenceLatencyMs == 0
                  ? null
                  : d.latencyMs / d.referenceLatencyMs;
      return new DerivedView(
          d.kind,
          precision,
          d.outcome,
          d.variantId,
          d.reason,
          d.size,
          d.sizeRatio,
          d.accuracy,
          d.latencyMs,
          d.referenceLatencyMs,
          ratio,
          d.figures,
          d.report,
          d.latencyRatioMin,
          d.latencyRatioMax,
          d.latencyRounds,
          d.optimizationLevel,
          d.comparisons,
          RejectedVariants.isKept(d, now)
              ? new RetainedFile(
                  d.artifactSha256,
                  d.size,
                  d.retainedUntil,
                  "/api/v1/models/"
                      + job.version.model.name
                      + "/versions/"
                      + job.version.version
                      + "/derivations/"
                      + job.id
                      + "/variants/"
                      + d.kind
                      + "/file")
              : null);
    }
  }

  public record JobView(
      UUID id,
      String model,
      String version,
      UUID sourceVariantId,
      List<String> kinds,
      double accuracyFloor,
      Map<String, Double> floors,
      Map<String, List<String>> comparators,
      String state,
      String step,
      int percent,
      String error,
      int attempts,
      Instant createdAt,
      Instant finishedAt,
      List<DerivedView> variants) {

    static JobView of(DerivationJob job, List<DerivedVariant> derived, Instant now) {
      return new JobView(
          job.id,
          job.version.model.name,
          job.version.version,
          job.sourceVariantId,
          job.kinds,
          job.accuracyFloor,
          job.floors,
          job.comparators,
          job.state,
          job.step,
          job.percent,
          job.error,
          job.attempts,
          job.createdAt,
          job.finishedAt,
          derived.stream().map(d -> DerivedView.of(d, job, now)).toList());
    }
  }
}
