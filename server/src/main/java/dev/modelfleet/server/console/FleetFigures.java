package dev.modelfleet.server.console;

import dev.modelfleet.server.device.DeviceStatus;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The fleet in figures, for the overview: every number is one grouped query, so the page costs the
 * same for 50 devices as for 50,000.
 */
@ApplicationScoped
public class FleetFigures {

  /** How many devices run a model version, in all and per hardware class. */
  public record VersionSpread(
      String model, String version, long devices, Map<String, Long> byHardwareClass) {}

  public record Figures(
      long devices,
      Map<String, Long> byStatus,
      long connected,
      long silent,
      Map<String, Long> byHardwareClass,
      List<VersionSpread> versions,
      long fallbacks,
      long failedDerivations,
      Map<String, Long> byAgentVersion) {

    /** Width in percent (0-100) of a part of the active devices, for bars. */
    public double activeShare(long part) {
      long active = byStatus.getOrDefault("active", 0L);
      return active == 0 ? 0 : Math.min(100, Math.round(1000.0 * part / active) / 10.0);
    }
  }

  private final Duration connectedWithin;
  private final Clock clock;

  FleetFigures(
      @ConfigProperty(name = "modelfleet.heartbeat-interval", defaultValue = "15s")
          Duration heartbeat,
      Clock clock) {
    // a device that missed three heartbeats counts as not connected, as the rollout engine has it
    this.connectedWithin = heartbeat.multipliedBy(3);
    this.clock = clock;
  }

  @Transactional
  public Figures figures() {
    var em = Panache.getEntityManager();
    Map<String, Long> byStatus = new LinkedHashMap<>();
    for (DeviceStatus s : DeviceStatus.values()) {
      byStatus.put(s.name().toLowerCase(java.util.Locale.ROOT), 0L);
    }
    Map<String, Long> byClass = new TreeMap<>();
    long total = 0;
    long connected = 0;
    // one pass over the devices for the counts by status, connection and hardware class
    for (Object[] row :
        em.createQuery(
                "select d.status, coalesce(d.hardwareClassId, 'unprofiled'), count(d),"
                    + " sum(case when d.lastSeenAt >= ?1 then 1 else 0 end) from Device d"
                    + " group by d.status, d.hardwareClassId",
                Object[].class)
            .setParameter(1, clock.instant().minus(connectedWithin))
            .getResultList()) {
      DeviceStatus status = (DeviceStatus) row[0];
      long n = ((Number) row[2]).longValue();
      byStatus.merge(status.name().toLowerCase(java.util.Locale.ROOT), n, Long::sum);
      total += n;
      if (status == DeviceStatus.ACTIVE) {
        byClass.merge((String) row[1], n, Long::sum);
        connected += ((Number) row[3]).longValue();
      }
    }
    long active = byStatus.getOrDefault("active", 0L);
    Map<List<String>, VersionSpread> spread = new LinkedHashMap<>();
    for (Object row :
        em.createNativeQuery(
                "select i->>'model', i->>'version', coalesce(d.hardware_class_id, 'unprofiled'),"
                    + " count(*) from devices d, jsonb_array_elements(coalesce(d.installed,"
                    + " '[]'::jsonb)) i where d.status = 'active' group by 1, 2, 3 order by 1, 2,"
                    + " 3")
            .getResultList()) {
      Object[] r = (Object[]) row;
      long n = ((Number) r[3]).longValue();
      VersionSpread v =
          spread.computeIfAbsent(
              List.of(String.valueOf(r[0]), String.valueOf(r[1])),
              k -> new VersionSpread(k.get(0), k.get(1), 0, new TreeMap<>()));
      v.byHardwareClass().put((String) r[2], n);
      spread.put(
          List.of(v.model(), v.version()),
          new VersionSpread(v.model(), v.version(), v.devices() + n, v.byHardwareClass()));
    }
    List<VersionSpread> versions = new ArrayList<>(spread.values());
    long fallbacks =
        ((Number)
                em.createNativeQuery("select count(distinct device_id) from provider_mismatches")
                    .getSingleResult())
            .longValue();
    long failedDerivations =
        ((Number)
                em.createNativeQuery("select count(*) from derivation_jobs where state = 'failed'")
                    .getSingleResult())
            .longValue();
    // which agent releases the fleet runs, newest first as versions go (a rollout of a release
    // moves devices between these rows)
    Map<String, Long> byAgent = new TreeMap<>(java.util.Comparator.reverseOrder());
    for (Object row :
        em.createNativeQuery(
                "select coalesce(agent_version, 'not reported'), count(*) from devices"
                    + " where status = 'active' group by 1")
            .getResultList()) {
      Object[] r = (Object[]) row;
      byAgent.put((String) r[0], ((Number) r[1]).longValue());
    }
    return new Figures(
        total,
        byStatus,
        connected,
        active - connected,
        byClass,
        versions,
        fallbacks,
        failedDerivations,
        byAgent);
  }
}
