package dev.modelfleet.server.artifact;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** Bytes stored once, named by their sha256, however many variants share them. */
@Entity
@Table(name = "artifacts")
public class Artifact extends PanacheEntityBase {

  @Id public String sha256;
  public long size;

  @jakarta.persistence.Column(name = "created_at")
  public Instant createdAt;
}
