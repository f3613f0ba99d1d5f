package dev.modelfleet.server.hardware;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;

/** Finds or records the hardware class of a reported profile. */
@ApplicationScoped
public class HardwareClassRegistry {

  private final Clock clock;
  private final ObjectMapper json;

  HardwareClassRegistry(Clock clock, ObjectMapper json) {
    this.clock = clock;
    this.json = json;
  }

  /**
   * The class id of the profile, recording the class on first sight. An upsert, because two devices
   * of a new class may say hello at the same moment.
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public String classify(HardwareInfo hardware) {
    HardwareFingerprint fingerprint = HardwareFingerprint.of(hardware);
    if (HardwareClass.findById(fingerprint.classId()) == null) {
      Panache.getEntityManager()
          .createNativeQuery(
              "insert into hardware_classes (id, description, profile, simulated, created_at)"
                  + " values (?1, ?2, cast(?3 as jsonb), ?4, ?5) on conflict (id) do nothing")
          .setParameter(1, fingerprint.classId())
          .setParameter(2, fingerprint.description())
          .setParameter(3, toJson(fingerprint))
          .setParameter(4, fingerprint.simulated())
          .setParameter(5, clock.instant())
          .executeUpdate();
    }
    return fingerprint.classId();
  }

  private String toJson(HardwareFingerprint fingerprint) {
    try {
      return json.writeValueAsString(fingerprint.parts());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings, numbers and lists always serializes", e);
    }
  }
}
