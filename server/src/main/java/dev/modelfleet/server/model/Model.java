package dev.modelfleet.server.model;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

@Entity
@Table(name = "models")
public class Model extends PanacheEntityBase {

  @Id public UUID id;
  public String name;
  public String description;

  @Column(name = "created_at")
  public Instant createdAt;

  public static Optional<Model> findByName(String name) {
    return find("name", name).firstResultOptional();
  }
}
