package dev.modelfleet.server.access;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * A person signed in to the console: the browser holds the secret in a cookie, the database its
 * hash, so every replica knows the session and signing out ends it everywhere.
 */
@Entity
@Table(name = "console_sessions")
public class ConsoleSession extends PanacheEntityBase {

  @Id
  @Column(name = "id_hash")
  public String idHash;

  public String name;
  public String role;

  /** Null for the configured admin token. */
  @Column(name = "api_token_id")
  public UUID apiTokenId;

  @Column(name = "csrf_token")
  public String csrfToken;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "expires_at")
  public Instant expiresAt;
}
