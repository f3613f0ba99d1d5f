package dev.modelfleet.server.model;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** One build of a model version for a precision and an execution provider, with its manifest. */
@Entity
@Table(name = "variants")
public class Variant extends PanacheEntityBase {

  @Id public UUID id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "version_id")
  public ModelVersion version;

  public String precision;

  @Column(name = "execution_provider")
  public String executionProvider;

  @Column(name = "artifact_sha256")
  public String sha256;

  public long size;

  @JdbcTypeCode(SqlTypes.JSON)
  public List<TensorSpecInfo> inputs;

  @JdbcTypeCode(SqlTypes.JSON)
  public List<TensorSpecInfo> outputs;

  /** Needed CPU architecture; empty: any. */
  public String arch;

  @JdbcTypeCode(SqlTypes.JSON)
  @Column(name = "required_cpu_flags")
  public List<String> requiredCpuFlags;

  @Column(name = "min_memory_bytes")
  public long minMemoryBytes;

  /** Accuracy relative to the reference variant (1.0); null when not declared. */
  public Double accuracy;

  /** Estimated multiply-accumulates per inference, by benchmark kernel (0: unknown). */
  @Column(name = "matmul_macs")
  public long matmulMacs;

  @Column(name = "conv_macs")
  public long convMacs;

  /**
   * Agent releases only: the lowest protocol revision and config-version the release needs (its
   * jar's ModelFleet-Min-Protocol and ModelFleet-Min-Config-Version; 0: none).
   */
  @Column(name = "min_protocol")
  public int minProtocol;

  @Column(name = "min_config_version")
  public int minConfigVersion;

  /** The serialized SignedEnvelope of the VariantManifest. */
  public byte[] manifest;

  @Column(name = "created_at")
  public Instant createdAt;

  public VariantNeeds needs() {
    return new VariantNeeds(arch, requiredCpuFlags, minMemoryBytes, accuracy);
  }

  public static List<Variant> ofVersion(ModelVersion version) {
    return list("version = ?1 order by createdAt", version);
  }
}
