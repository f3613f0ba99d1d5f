package dev.modelfleet.server.device;

import dev.modelfleet.server.hardware.HardwareInfo;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

@Entity
@Table(name = "devices")
public class Device extends PanacheEntityBase {

  @Id public UUID id;
  public String name;

  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, String> labels;

  public DeviceStatus status;

  /** The device's Ed25519 key, SubjectPublicKeyInfo DER. */
  @Column(name = "public_key")
  public byte[] publicKey;

  /** sha256 of the secret half of the device credential. */
  @Column(name = "credential_hash")
  public String credentialHash;

  @JdbcTypeCode(SqlTypes.JSON)
  public HardwareInfo hardware;

  @JdbcTypeCode(SqlTypes.JSON)
  public List<InstalledModelInfo> installed;

  /** The hardware class of {@link #hardware}; null until the device reported a profile. */
  @Column(name = "hardware_class_id")
  public String hardwareClassId;

  /** The latest benchmark report; null until one arrived or after the hardware changed. */
  @JdbcTypeCode(SqlTypes.JSON)
  public BenchmarkInfo benchmark;

  @Column(name = "enrollment_token_id")
  public UUID enrollmentTokenId;

  @Column(name = "enrolled_at")
  public Instant enrolledAt;

  @Column(name = "last_seen_at")
  public Instant lastSeenAt;

  @Column(name = "decommissioned_at")
  public Instant decommissionedAt;

  /** When an operator approved or rejected the device; null when no one had to. */
  @Column(name = "approval_decided_at")
  public Instant approvalDecidedAt;

  /** Who approved or rejected it (the caller's token name). */
  @Column(name = "approval_decided_by")
  public String approvalDecidedBy;

  /**
   * The agent release the device runs, as its last Hello said (null: an agent from before it did);
   * its protocol revision and the config-version of its configuration (0: not reported).
   */
  @Column(name = "agent_version")
  public String agentVersion;

  @Column(name = "agent_protocol")
  public int agentProtocol;

  @Column(name = "agent_config_version")
  public int agentConfigVersion;

  /**
   * Whether the device has been heard from since it enrolled (a Hello, a heartbeat, a benchmark
   * report): enrollment sets last_seen_at to enrolled_at, and each of those moves it. Until then
   * nobody has used the credential its enrollment returned.
   */
  public boolean contactedSinceEnrollment() {
    return lastSeenAt != null && !lastSeenAt.equals(enrolledAt);
  }

  public boolean isActive() {
    return status == DeviceStatus.ACTIVE;
  }

  /** Whether its credential opens a stream: approved, or waiting for approval. */
  public boolean mayConnect() {
    return status == DeviceStatus.ACTIVE || status == DeviceStatus.PENDING;
  }
}
