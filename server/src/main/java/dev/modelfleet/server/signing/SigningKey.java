package dev.modelfleet.server.signing;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** The public half of a signing key, so operators and tools can see which keys exist. */
@Entity
@Table(name = "signing_keys")
public class SigningKey extends PanacheEntityBase {

  @Id
  @Column(name = "key_id")
  public String keyId;

  public String role;
  public String algorithm;

  @Column(name = "public_key")
  public byte[] publicKey;

  @Column(name = "created_at")
  public Instant createdAt;
}
