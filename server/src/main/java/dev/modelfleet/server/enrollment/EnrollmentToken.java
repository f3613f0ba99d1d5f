package dev.modelfleet.server.enrollment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** Lets devices join the fleet a limited number of times, until it expires or is revoked. */
@Entity
@Table(name = "enrollment_tokens")
public class EnrollmentToken extends PanacheEntityBase {

  @Id public UUID id;
  public String name;

  /** Given to every device enrolled with this token. */
  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, String> labels;

  @Column(name = "secret_hash")
  public String secretHash;

  @Column(name = "expires_at")
  public Instant expiresAt;

  @Column(name = "max_uses")
  public int maxUses;

  public int uses;

  @Column(name = "revoked_at")
  public Instant revokedAt;

  @Column(name = "created_at")
  public Instant createdAt;

  /** Devices enrolled with this token wait for an operator's approval. */
  @Column(name = "require_approval")
  public boolean requireApproval;

  /** Why this token cannot enroll a device now, or null when it can. */
  public String refusal(Instant now) {
    if (revokedAt != null) {
      return "the enrollment token was revoked";
    }
    if (!now.isBefore(expiresAt)) {
      return "the enrollment token expired at " + expiresAt;
    }
    if (uses >= maxUses) {
      return "the enrollment token is used up (" + maxUses + " of " + maxUses + " uses)";
    }
    return null;
  }

  public String state(Instant now) {
    if (revokedAt != null) {
      return "revoked";
    }
    if (!now.isBefore(expiresAt)) {
      return "expired";
    }
    return uses >= maxUses ? "used-up" : "active";
  }
}
