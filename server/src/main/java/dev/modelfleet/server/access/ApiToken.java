package dev.modelfleet.server.access;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** An API client: a named bearer secret with a role, until it expires or is revoked. */
@Entity
@Table(name = "api_tokens")
public class ApiToken extends PanacheEntityBase {

  @Id public UUID id;
  public String name;
  public String role;

  @Column(name = "secret_hash")
  public String secretHash;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "created_by")
  public String createdBy;

  @Column(name = "expires_at")
  public Instant expiresAt;

  @Column(name = "revoked_at")
  public Instant revokedAt;

  @Column(name = "last_used_at")
  public Instant lastUsedAt;

  /** Why this token cannot be used now, or null when it can. */
  public String refusal(Instant now) {
    if (revokedAt != null) {
      return "The token was revoked.";
    }
    if (expiresAt != null && !now.isBefore(expiresAt)) {
      return "The token expired at " + expiresAt + ".";
    }
    return null;
  }

  public String state(Instant now) {
    if (revokedAt != null) {
      return "revoked";
    }
    return expiresAt != null && !now.isBefore(expiresAt) ? "expired" : "active";
  }
}
