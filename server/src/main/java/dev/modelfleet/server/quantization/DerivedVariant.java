package dev.modelfleet.server.quantization;

import dev.modelfleet.server.quantization.graph.QuantizationReport;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * The outcome of one kind in one job, with its figures. A rejected variant lives only here: it
 * never becomes a row in {@code variants}, so nothing can sign, match, assign or ship it; its file
 * is kept for a while ({@code modelfleet.derivation.rejected-retention}) only for operators to
 * download.
 */
@Entity
@Table(name = "derived_variants")
public class DerivedVariant extends PanacheEntityBase {

  public static final String ACCEPTED = "accepted";
  public static final String REJECTED = "rejected";
  public static final String FAILED = "failed";

  @Id public UUID id;

  @Column(name = "job_id")
  public UUID jobId;

  public String kind;
  public String outcome;

  @Column(name = "variant_id")
  public UUID variantId;

  public String reason;
  public Long size;

  @Column(name = "size_ratio")
  public Double sizeRatio;

  public Double accuracy;

  @Column(name = "latency_ms")
  public Double latencyMs;

  @Column(name = "reference_latency_ms")
  public Double referenceLatencyMs;

  /** Median of the per-round ratios variant / reference, timed interleaved; and their spread. */
  @Column(name = "latency_ratio")
  public Double latencyRatio;

  @Column(name = "latency_ratio_min")
  public Double latencyRatioMin;

  @Column(name = "latency_ratio_max")
  public Double latencyRatioMax;

  @Column(name = "latency_rounds")
  public Integer latencyRounds;

  /** The graph optimisation level ONNX Runtime needed to load it: all, basic or disabled. */
  @Column(name = "optimization_level")
  public String optimizationLevel;

  @JdbcTypeCode(SqlTypes.JSON)
  public List<VariantCheck.OutputFigures> figures;

  @JdbcTypeCode(SqlTypes.JSON)
  public QuantizationReport report;

  /** Every comparator that judged it, with its value and verdict. */
  @JdbcTypeCode(SqlTypes.JSON)
  public List<VariantCheck.Comparison> comparisons;

  /** A rejected variant's file, kept in the artifact store until {@link #retainedUntil}. */
  @Column(name = "artifact_sha256")
  public String artifactSha256;

  @Column(name = "retained_until")
  public Instant retainedUntil;

  @Column(name = "created_at")
  public Instant createdAt;

  public static List<DerivedVariant> ofJob(UUID jobId) {
    return list("jobId = ?1 order by createdAt", jobId);
  }
}
