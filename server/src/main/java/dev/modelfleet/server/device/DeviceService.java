package dev.modelfleet.server.device;

import dev.modelfleet.protocol.agent.v1.RunBenchmark;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.common.ApiError;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The device registry as operators see it. */
@ApplicationScoped
public class DeviceService {

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
    List<Device> candidates;
    if (status == null || status.isBlank()) {
      candidates = Device.list("order by enrolledAt");
    } else {
      DeviceStatus wanted =
          DeviceStatus.parse(status)
              .orElseThrow(
                  () ->
                      ApiError.INVALID_REQUEST.exception(
                          "Status '"
                              + status
                              + "' is not valid: use 'pending', 'active', 'rejected'"
                              + " or 'decommissioned'."));
      candidates = Device.list("status = ?1 order by enrolledAt", wanted);
    }
    EntityManager em = Panache.getEntityManager();
    candidates.forEach(em::detach);
    return candidates.stream().filter(d -> labels.test(d.labels)).toList();
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
