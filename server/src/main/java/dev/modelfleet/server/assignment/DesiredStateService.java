package dev.modelfleet.server.assignment;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.ShadowCandidate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.common.ModelFleetConfig;
import dev.modelfleet.server.delta.DeltaOffers;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceLocks;
import dev.modelfleet.server.device.InstalledModelInfo;
import dev.modelfleet.server.downloadpolicy.DownloadPolicyService;
import dev.modelfleet.server.signing.Signer;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Builds, signs and stores each device's desired-state document. */
@ApplicationScoped
public class DesiredStateService {

  /** Devices locked and re-signed per round trip when many documents are re-issued. */
  private static final int REISSUE_BATCH = 100;

  private final Signer signing;
  private final ModelFleetConfig config;
  private final Clock clock;
  private final Event<DesiredStateChanged> changed;
  private final Event<DesiredStatesPublished> batchPublished;
  private final DeltaOffers deltas;
  private final DownloadPolicyService downloadPolicies;

  DesiredStateService(
      Signer signing,
      ModelFleetConfig config,
      Clock clock,
      Event<DesiredStateChanged> changed,
      Event<DesiredStatesPublished> batchPublished,
      DeltaOffers deltas,
      DownloadPolicyService downloadPolicies) {
    this.downloadPolicies = downloadPolicies;
    this.signing = signing;
    this.config = config;
    this.clock = clock;
    this.changed = changed;
    this.batchPublished = batchPublished;
    this.deltas = deltas;
  }

  /**
   * Signs a new document from the device's desired models, one generation up. The caller holds the
   * device row lock ({@link DeviceLocks}), which keeps generations strictly growing under
   * concurrent writers.
   */
  DeviceDesiredState publish(UUID deviceId) {
    return publishAll(List.of(deviceId)).get(deviceId);
  }

  /**
   * Signs the device's next document for an offline bundle: valid for {@code ttl} (the site's time
   * without a link), with the delta and compressed offers an online document would carry (the
   * bundle carries the smallest of them instead of the whole artifact). It becomes the device's
   * current document, so that the device, back online, is sent the very document it imported. Locks
   * the device row first.
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public SignedEnvelope publishForBundle(UUID deviceId, Duration ttl) {
    DeviceLocks.lock(deviceId);
    return parse(publishAll(List.of(deviceId), ttl).get(deviceId).document);
  }

  Map<UUID, DeviceDesiredState> publishAll(List<UUID> deviceIds) {
    return publishAll(deviceIds, config.desiredStateTtl());
  }

  /**
   * {@link #publish} for a batch of devices whose locks the caller holds: their rows, desired
   * models and delta offers are read in one query each, not one per device (a rollout tells 50
   * devices a step, and at 50,000 devices those queries were most of the engine's time).
   *
   * @return each device's new row, by device id
   */
  private Map<UUID, DeviceDesiredState> publishAll(List<UUID> deviceIds, Duration ttl) {
    Map<UUID, DeviceDesiredState> rows = new HashMap<>();
    DeviceDesiredState.<DeviceDesiredState>list("deviceId in ?1", deviceIds)
        .forEach(r -> rows.put(r.deviceId, r));
    Map<UUID, List<DesiredModel>> models = new HashMap<>();
    DesiredModel.<DesiredModel>list("deviceId in ?1 order by model.name", deviceIds)
        .forEach(m -> models.computeIfAbsent(m.deviceId, d -> new ArrayList<>()).add(m));
    DeltaOffers.Lookup offers =
        deltas.offers(
            models.values().stream().flatMap(List::stream).map(m -> m.variant.id).toList());
    Map<UUID, Map<String, String>> labels = new HashMap<>();
    for (UUID deviceId : deviceIds) {
      Device device = Device.findById(deviceId); // in the persistence context: its lock loaded it
      labels.put(deviceId, device == null ? null : device.labels);
    }
    Map<UUID, dev.modelfleet.protocol.agent.v1.DownloadPolicy> policies =
        downloadPolicies.forDevices(labels);
    Instant now = clock.instant();
    Map<UUID, DeviceDesiredState> published = new HashMap<>();
    List<DesiredStateChanged> changes = new ArrayList<>();
    for (UUID deviceId : deviceIds) {
      DeviceDesiredState row =
          rows.computeIfAbsent(
              deviceId,
              id -> {
                DeviceDesiredState created = new DeviceDesiredState();
                created.deviceId = id;
                return created;
              });
      DesiredState.Builder state =
          DesiredState.newBuilder()
              .setDeviceId(deviceId.toString())
              .setGeneration(row.generation + 1)
              .setIssuedAtMs(now.toEpochMilli())
              .setExpiresAtMs(now.plus(ttl).toEpochMilli());
      Map<String, String> installed = installedArtifacts(deviceId);
      for (DesiredModel entry : models.getOrDefault(deviceId, List.of())) {
        state.addModels(entryOf(entry, offers, installed.get(entry.model.name)));
      }
      java.util.Optional.ofNullable(policies.get(deviceId)).ifPresent(state::setDownloadPolicy);
      SignedEnvelope document = signing.signWithDirector(Dsse.DESIRED_STATE_TYPE, state.build());
      row.generation = state.getGeneration();
      row.document = document.toByteArray();
      row.issuedAt = now;
      row.expiresAt = now.plus(ttl);
      row.persist();
      DesiredStateChanged change = new DesiredStateChanged(deviceId, row.generation, document);
      changed.fire(change);
      changes.add(change);
      published.put(deviceId, row);
    }
    batchPublished.fire(new DesiredStatesPublished(changes));
    return published;
  }

  private static dev.modelfleet.protocol.agent.v1.DesiredModel.Builder entryOf(
      DesiredModel entry, DeltaOffers.Lookup offers, String installedSha256) {
    dev.modelfleet.protocol.agent.v1.DesiredModel.Builder model =
        dev.modelfleet.protocol.agent.v1.DesiredModel.newBuilder()
            .setModel(entry.model.name)
            .setVersion(entry.variant.version.version)
            .setManifest(parse(entry.variant.manifest))
            .setAllowDowngrade(entry.allowDowngrade);
    if (entry.shadowVariant != null) {
      ShadowCandidate.Builder shadow =
          ShadowCandidate.newBuilder()
              .setVersion(entry.shadowVariant.version.version)
              .setManifest(parse(entry.shadowVariant.manifest))
              .setComparison(entry.shadowComparison)
              .setSampleRate(entry.shadowSampleRate)
              .setMaxPerSecond(entry.shadowMaxPerSecond);
      if (entry.shadowValidationSha256 != null) {
        // signed with the document: the device replays only the operator's inputs
        shadow
            .setValidationSha256(entry.shadowValidationSha256)
            .setValidationSize(entry.shadowValidationSize);
      }
      if (entry.shadowIdleSeconds != null) {
        shadow.setIdleSeconds(entry.shadowIdleSeconds);
      }
      model.setShadow(shadow);
    }
    offers.offerOn(model, entry.variant.id, installedSha256);
    return model;
  }

  /**
   * The artifact each model's active variant has on the device, as it last reported: the base a
   * delta must start from. The device is in the persistence context already (its lock loaded it).
   */
  private static Map<String, String> installedArtifacts(UUID deviceId) {
    Map<String, String> installed = new HashMap<>();
    Device device = Device.findById(deviceId);
    if (device != null && device.installed != null) {
      for (InstalledModelInfo m : device.installed) {
        if (m.active() && m.sha256() != null) {
          installed.put(m.model(), m.sha256());
        }
      }
    }
    return installed;
  }

  /**
   * Re-signs every active device's document one generation up, in the caller's transaction: after a
   * root rotation replaced the director or targets keys, devices refuse documents signed by the old
   * ones.
   */
  int reissueAll() {
    @SuppressWarnings("unchecked")
    List<UUID> devices =
        Panache.getEntityManager()
            .createNativeQuery(
                "select s.device_id from device_desired_states s join devices d on d.id = s.device_id"
                    + " where d.status = 'active' order by s.device_id",
                UUID.class)
            .getResultList();
    return reissue(devices);
  }

  /**
   * Re-signs one generation up, in the caller's transaction, the document of every active device
   * that should run one of {@code variantIds}: their manifests were re-signed (renewed before
   * expiry), and a device must get the new one before the old one expires.
   */
  int reissueForVariants(Collection<UUID> variantIds) {
    if (variantIds.isEmpty()) {
      return 0;
    }
    @SuppressWarnings("unchecked")
    List<UUID> devices =
        Panache.getEntityManager()
            .createNativeQuery(
                "select distinct m.device_id from desired_models m join devices d on d.id = m.device_id"
                    + " where d.status = 'active' and m.variant_id in (?1) order by m.device_id",
                UUID.class)
            .setParameter(1, variantIds)
            .getResultList();
    return reissue(devices);
  }

  /**
   * Re-signs one generation up, in the caller's transaction, the document of each of {@code
   * deviceIds} that is active and has one: the download policy that binds them changed.
   */
  int reissueForDevices(Collection<UUID> deviceIds) {
    if (deviceIds.isEmpty()) {
      return 0;
    }
    @SuppressWarnings("unchecked")
    List<UUID> devices =
        Panache.getEntityManager()
            .createNativeQuery(
                "select s.device_id from device_desired_states s join devices d on d.id = s.device_id"
                    + " where d.status = 'active' and s.device_id in (?1) order by s.device_id",
                UUID.class)
            .setParameter(1, deviceIds)
            .getResultList();
    return reissue(devices);
  }

  /**
   * Locks each device in order (as assignments do) and publishes its document one generation up.
   */
  private int reissue(List<UUID> devices) {
    for (int from = 0; from < devices.size(); from += REISSUE_BATCH) {
      List<UUID> batch = devices.subList(from, Math.min(devices.size(), from + REISSUE_BATCH));
      DeviceLocks.lockAll(batch);
      publishAll(batch);
    }
    return devices.size();
  }

  /**
   * The document to send a device that (re)connects. One past half its lifetime is re-signed first,
   * so an agent that stays connected never ends up holding an expired document.
   */
  @Transactional
  public Optional<SignedEnvelope> currentFor(UUID deviceId) {
    DeviceDesiredState row = DeviceDesiredState.findById(deviceId);
    if (row == null) {
      return Optional.empty();
    }
    if (needsRefresh(row)) {
      DeviceLocks.lock(deviceId);
      // re-read under the lock: a concurrent assignment may have signed a newer generation
      // since the read above, and publish must count up from that one, not from a stale copy
      Panache.getEntityManager().refresh(row);
      if (needsRefresh(row)) {
        row = publish(deviceId);
      }
    }
    return Optional.of(parse(row.document));
  }

  private boolean needsRefresh(DeviceDesiredState row) {
    return clock.instant().isAfter(row.expiresAt.minus(config.desiredStateTtl().dividedBy(2)));
  }

  static SignedEnvelope parse(byte[] stored) {
    try {
      return SignedEnvelope.parseFrom(stored);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored signed document is corrupt", e);
    }
  }
}
