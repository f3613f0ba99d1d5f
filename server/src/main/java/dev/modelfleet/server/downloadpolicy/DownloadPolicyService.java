package dev.modelfleet.server.downloadpolicy;

import dev.modelfleet.protocol.agent.v1.DownloadPolicy;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Names;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.LabelSelector;
import dev.modelfleet.server.downloadpolicy.DownloadPolicyViews.PolicyRequest;
import dev.modelfleet.server.downloadpolicy.DownloadPolicyViews.PolicyView;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Download policies: stored, validated, and resolved per device for its signed desired state. A
 * change fires {@link DownloadPolicyChanged} with every device it may concern, so that their
 * documents are signed again with the policy now in force.
 */
@ApplicationScoped
public class DownloadPolicyService {

  /** One terabyte a second / a day: far above any link, low enough to catch a unit slip. */
  static final long MAX_BYTES = 1L << 40;

  private final Clock clock;
  private final Event<DownloadPolicyChanged> changed;

  DownloadPolicyService(Clock clock, Event<DownloadPolicyChanged> changed) {
    this.clock = clock;
    this.changed = changed;
  }

  @Transactional
  public PolicyView create(PolicyRequest request) {
    String name = Names.require("name", request.name());
    if (DownloadPolicyRow.count("name", name) > 0) {
      throw ApiError.CONFLICT.exception("a download policy named '" + name + "' exists.");
    }
    DownloadPolicyRow row = new DownloadPolicyRow();
    row.id = UUID.randomUUID();
    row.name = name;
    row.createdAt = clock.instant();
    fill(row, request);
    row.persist();
    changed.fire(new DownloadPolicyChanged(boundBy(row)));
    return PolicyView.of(row);
  }

  @Transactional
  public PolicyView update(UUID id, PolicyRequest request) {
    DownloadPolicyRow row = find(id);
    Set<UUID> before = boundBy(row);
    if (request.name() != null && !request.name().equals(row.name)) {
      String name = Names.require("name", request.name());
      if (DownloadPolicyRow.count("name", name) > 0) {
        throw ApiError.CONFLICT.exception("a download policy named '" + name + "' exists.");
      }
      row.name = name;
    }
    fill(row, request);
    Set<UUID> concerned = new HashSet<>(before);
    concerned.addAll(boundBy(row));
    changed.fire(new DownloadPolicyChanged(concerned));
    return PolicyView.of(row);
  }

  @Transactional
  public PolicyView delete(UUID id) {
    DownloadPolicyRow row = find(id);
    Set<UUID> before = boundBy(row);
    PolicyView view = PolicyView.of(row);
    row.delete();
    changed.fire(new DownloadPolicyChanged(before));
    return view;
  }

  @Transactional
  public PolicyView get(UUID id) {
    return PolicyView.of(find(id));
  }

  @Transactional
  public List<PolicyView> list() {
    return DownloadPolicyRow.<DownloadPolicyRow>listAll(Sort.by("name")).stream()
        .map(PolicyView::of)
        .toList();
  }

  /**
   * The policy that binds {@code device}: its own, else the highest-priority (then newest) selector
   * policy that matches its labels; empty when none.
   */
  public Optional<DownloadPolicy> forDevice(UUID deviceId, Map<String, String> labels) {
    Optional<DownloadPolicyRow> own =
        DownloadPolicyRow.<DownloadPolicyRow>find("deviceId", deviceId).firstResultOptional();
    if (own.isPresent()) {
      return own.map(DownloadPolicyService::toProto);
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    return DownloadPolicyRow.<DownloadPolicyRow>find("deviceId is null").list().stream()
        .filter(row -> LabelSelector.parse(row.selector).test(l))
        .max(
            Comparator.<DownloadPolicyRow>comparingInt(row -> row.priority)
                .thenComparing(row -> row.createdAt))
        .map(DownloadPolicyService::toProto);
  }

  /**
   * {@link #forDevice} for a batch of devices (labels by device id), in two queries whatever its
   * size: a rollout signs 50 devices' documents a step.
   */
  public Map<UUID, DownloadPolicy> forDevices(Map<UUID, Map<String, String>> labelsById) {
    Map<UUID, DownloadPolicy> bound = new java.util.HashMap<>();
    if (labelsById.isEmpty()) {
      return bound;
    }
    DownloadPolicyRow.<DownloadPolicyRow>list("deviceId in ?1", labelsById.keySet())
        .forEach(row -> bound.put(row.deviceId, toProto(row)));
    List<DownloadPolicyRow> selectors =
        DownloadPolicyRow.<DownloadPolicyRow>find("deviceId is null").list().stream()
            .sorted(
                Comparator.<DownloadPolicyRow>comparingInt(row -> row.priority)
                    .thenComparing(row -> row.createdAt)
                    .reversed())
            .toList();
    if (selectors.isEmpty()) {
      return bound;
    }
    List<LabelSelector> parsed =
        selectors.stream().map(r -> LabelSelector.parse(r.selector)).toList();
    labelsById.forEach(
        (deviceId, labels) -> {
          if (bound.containsKey(deviceId)) {
            return;
          }
          Map<String, String> l = labels == null ? Map.of() : labels;
          for (int i = 0; i < selectors.size(); i++) {
            if (parsed.get(i).test(l)) {
              bound.put(deviceId, toProto(selectors.get(i)));
              return;
            }
          }
        });
    return bound;
  }

  static DownloadPolicy toProto(DownloadPolicyRow row) {
    return DownloadPolicy.newBuilder()
        .setId(row.name)
        .addAllWindows(PolicyWindows.toProto(row.windows))
        .setTimeZone(row.timeZone == null ? "" : row.timeZone)
        .setRateBytesPerSecond(row.rateBytesPerSecond)
        .setDailyBudgetBytes(row.dailyBudgetBytes)
        .setMeteredOnly(row.meteredOnly)
        .build();
  }

  private DownloadPolicyRow find(UUID id) {
    DownloadPolicyRow row = DownloadPolicyRow.findById(id);
    if (row == null) {
      throw ApiError.NOT_FOUND.exception("no download policy " + id + ".");
    }
    return row;
  }

  /** Applies and validates the request; a field left out keeps its value (or its default). */
  private void fill(DownloadPolicyRow row, PolicyRequest r) {
    boolean creating = row.updatedAt == null;
    if (creating || r.deviceId() != null || r.selector() != null) {
      if ((r.deviceId() == null) == (r.selector() == null || r.selector().isBlank())) {
        throw ApiError.INVALID_REQUEST.exception(
            "name exactly one of 'deviceId' (one device) and 'selector' (e.g. \"site=north\").");
      }
      if (r.deviceId() != null && Device.findById(r.deviceId()) == null) {
        throw ApiError.INVALID_REQUEST.exception("no device " + r.deviceId() + ".");
      }
      if (r.selector() != null) {
        LabelSelector.parse(r.selector());
      }
      row.deviceId = r.deviceId();
      row.selector = r.deviceId() == null ? r.selector().trim() : null;
    }
    if (r.priority() != null) {
      row.priority = r.priority();
    }
    if (creating || r.windows() != null) {
      row.windows = PolicyWindows.join(r.windows());
    }
    if (creating || r.timeZone() != null) {
      row.timeZone = zone(r.timeZone());
    }
    if (creating || r.rateBytesPerSecond() != null) {
      row.rateBytesPerSecond = bytes("rateBytesPerSecond", r.rateBytesPerSecond());
    }
    if (creating || r.dailyBudgetBytes() != null) {
      row.dailyBudgetBytes = bytes("dailyBudgetBytes", r.dailyBudgetBytes());
    }
    if (r.meteredOnly() != null) {
      row.meteredOnly = r.meteredOnly();
    }
    if (row.windows.isEmpty() && row.rateBytesPerSecond == 0 && row.dailyBudgetBytes == 0) {
      throw ApiError.INVALID_REQUEST.exception(
          "a download policy needs at least one of 'windows', 'rateBytesPerSecond' and"
              + " 'dailyBudgetBytes'.");
    }
    row.updatedAt = clock.instant();
  }

  private static String zone(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return ZoneId.of(value.trim()).getId();
    } catch (DateTimeException e) {
      throw ApiError.INVALID_REQUEST.exception(
          "'timeZone' '" + value + "' is not an IANA time zone id (e.g. Europe/Berlin, UTC).");
    }
  }

  private static long bytes(String field, Long value) {
    if (value == null) {
      return 0;
    }
    if (value < 0 || value > MAX_BYTES) {
      throw ApiError.INVALID_REQUEST.exception(
          "'" + field + "' must be from 0 (none) to " + MAX_BYTES + " bytes, got " + value + ".");
    }
    return value;
  }

  /** The active devices a policy binds now (a selector's are matched against every device). */
  private static Set<UUID> boundBy(DownloadPolicyRow row) {
    Set<UUID> ids = new HashSet<>();
    if (row.deviceId != null) {
      ids.add(row.deviceId);
      return ids;
    }
    LabelSelector selector = LabelSelector.parse(row.selector);
    for (Device d :
        Device.<Device>list("status", dev.modelfleet.server.device.DeviceStatus.ACTIVE)) {
      if (selector.test(d.labels == null ? Map.of() : d.labels)) {
        ids.add(d.id);
      }
    }
    return ids;
  }
}
