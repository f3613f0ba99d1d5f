package dev.modelfleet.server.device;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.protocol.agent.v1.RunBenchmark;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The device registry as operators see it. */
@ApplicationScoped
public class DeviceService {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Clock clock;
  private final Event<DeviceDecommissioned> decommissioned;
  private final Event<DeviceApproved> approved;
  private final Event<DeviceRejected> rejected;
  private final DeviceLinks links;

  DeviceService(
      Clock clock,
      Event<DeviceDecommissioned> decommissioned,
      Event<DeviceApproved> approved,
      Event<DeviceRejected> rejected,
      DeviceLinks links) {
    this.clock = clock;
    this.decommissioned = decommissioned;
    this.approved = approved;
    this.rejected = rejected;
    this.links = links;
  }

  /**
   * Devices matching a label selector, optionally of one status. Matching happens in memory, which
   * is fine for thousands of devices; beyond that it belongs in SQL on the jsonb column. The
   * devices come back detached: every later flush in the caller's transaction would otherwise walk
   * each of them, JSON columns included (a 200-device assignment in a fleet of 800 spent most of
   * its time there). Writers lock and load the row they change.
   */
  @Transactional
  public List<Device> find(String selector, String status) {
    LabelSelector labels = LabelSelector.parse(selector);
    DeviceStatus wanted = status(status);
    List<Device> candidates =
        wanted == null
            ? Device.list("order by enrolledAt")
            : Device.list("status = ?1 order by enrolledAt", wanted);
    EntityManager em = Panache.getEntityManager();
    candidates.forEach(em::detach);
    return candidates.stream().filter(d -> labels.test(d.labels)).toList();
  }

  /**
   * One page of the devices matching a label selector, optionally of one status, in the order they
   * enrolled (then by id). The status, the cursor and the selector's {@code k=v} labels narrow in
   * SQL (indexes {@code devices_enrolled}, {@code devices_status_enrolled}, the GIN index on
   * labels); the selector's other requirements are tested on the rows read. Detached, as {@link
   * #find}.
   */
  @Transactional
  public Page<Device> page(String selector, String status, PageRequest page) {
    LabelSelector labels = LabelSelector.parse(selector);
    DeviceStatus wanted = status(status);
    String contains = labels.equalities().isEmpty() ? null : json(labels.equalities());
    EntityManager em = Panache.getEntityManager();
    return page.fill(
        new Class<?>[] {Instant.class, UUID.class},
        (after, count) -> {
          StringBuilder sql = new StringBuilder("select * from devices where true");
          if (wanted != null) {
            sql.append(" and status = :status");
          }
          if (contains != null) {
            sql.append(" and labels @> cast(:labels as jsonb)");
          }
          if (after != null) {
            sql.append(" and (enrolled_at, id) > (:afterAt, :afterId)");
          }
          sql.append(" order by enrolled_at, id limit :count");
          Query query = em.createNativeQuery(sql.toString(), Device.class);
          if (wanted != null) {
            query.setParameter("status", wanted.value());
          }
          if (contains != null) {
            query.setParameter("labels", contains);
          }
          if (after != null) {
            query.setParameter("afterAt", after.get(0));
            query.setParameter("afterId", after.get(1));
          }
          @SuppressWarnings("unchecked")
          List<Device> rows = query.setParameter("count", count).getResultList();
          rows.forEach(em::detach);
          return rows;
        },
        d -> List.of(d.enrolledAt, d.id),
        labels.onlyEqualities() ? null : d -> labels.test(d.labels));
  }

  private static DeviceStatus status(String status) {
    if (status == null || status.isBlank()) {
      return null;
    }
    return DeviceStatus.parse(status)
        .orElseThrow(
            () ->
                ApiError.INVALID_REQUEST.exception(
                    "Status '"
                        + status
                        + "' is not valid: use 'pending', 'active', 'rejected'"
                        + " or 'decommissioned'."));
  }

  private static String json(Map<String, String> labels) {
    try {
      return JSON.writeValueAsString(labels);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Transactional
  public Device get(UUID id) {
    return require(id);
  }

  @Transactional
  public Device replaceLabels(UUID id, Map<String, String> labels) {
    Map<String, String> valid = Labels.validate(labels);
    Device device = require(id);
    device.labels = valid;
    return device;
  }

  /**
   * Idempotent: decommissioning a decommissioned device changes nothing, and neither does
   * decommissioning a rejected one (its credential is refused already; it stays "rejected").
   */
  @Transactional
  public Device decommission(UUID id) {
    Device device = DeviceLocks.lock(id);
    if (device.mayConnect()) {
      device.status = DeviceStatus.DECOMMISSIONED;
      device.decommissionedAt = clock.instant();
      decommissioned.fire(new DeviceDecommissioned(id));
    }
    return device;
  }

  /**
   * Lets a pending device in: it becomes active, is told so on its open stream and gets its desired
   * state. Approving an active device changes nothing; a rejected or decommissioned one must enroll
   * again, so approving it is refused.
   */
  @Transactional
  public Device approve(UUID id, String actor) {
    Device device = DeviceLocks.lock(id);
    if (device.status == DeviceStatus.PENDING) {
      device.status = DeviceStatus.ACTIVE;
      device.approvalDecidedAt = clock.instant();
      device.approvalDecidedBy = actor;
      approved.fire(new DeviceApproved(id));
    } else if (device.status != DeviceStatus.ACTIVE) {
      throw ApiError.ILLEGAL_STATE.exception(
          "Device '"
              + id
              + "' is "
              + device.status.value()
              + " and cannot be approved; enroll it again to let it in.");
    }
    return device;
  }

  /**
   * Refuses a pending device for good: its credential stops working and its stream ends, and the
   * record stays (status "rejected") so operators see what was turned away. Rejecting a rejected
   * device changes nothing; an active device is decommissioned, not rejected.
   */
  @Transactional
  public Device reject(UUID id, String actor) {
    Device device = DeviceLocks.lock(id);
    if (device.status == DeviceStatus.PENDING) {
      device.status = DeviceStatus.REJECTED;
      device.approvalDecidedAt = clock.instant();
      device.approvalDecidedBy = actor;
      rejected.fire(new DeviceRejected(id));
    } else if (device.status != DeviceStatus.REJECTED) {
      throw ApiError.ILLEGAL_STATE.exception(
          "Device '"
              + id
              + "' is "
              + device.status.value()
              + "; only a pending device can be rejected"
              + (device.isActive() ? " (decommission an active one)." : "."));
    }
    return device;
  }

  /**
   * Asks a device to re-run its micro-benchmark now (after a driver or runtime change, say). Its
   * report arrives on its stream and replaces the stored one.
   */
  @Transactional
  public Device requestBenchmark(UUID id) {
    Device device = require(id);
    ServerMessage run =
        ServerMessage.newBuilder()
            .setRunBenchmark(RunBenchmark.newBuilder().setReason("on-demand"))
            .build();
    if (!device.isActive() || !links.send(id, run)) {
      throw ApiError.DEVICE_OFFLINE.exception(
          "Device '"
              + id
              + "' has no open stream to this server, so it cannot be asked now; it"
              + " sends a benchmark with its next Hello when its hardware or runtime changed."
              + " Retry when it is connected.");
    }
    return device;
  }

  private static Device require(UUID id) {
    Device device = Device.findById(id);
    if (device == null) {
      throw ApiError.NOT_FOUND.exception("No device with id '" + id + "'.");
    }
    return device;
  }
}
