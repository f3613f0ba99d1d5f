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
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Builds, signs and stores each device's desired-state document. */
@ApplicationScoped
public class DesiredStateService {

  private final Signer signing;
  private final ModelFleetConfig config;
  private final Clock clock;
  private final Event<DesiredStateChanged> changed;
  private final DeltaOffers deltas;
  private final DownloadPolicyService downloadPolicies;

  DesiredStateService(
      Signer signing,
      ModelFleetConfig config,
      Clock clock,
      Event<DesiredStateChanged> changed,
      DeltaOffers deltas,
      DownloadPolicyService downloadPolicies) {
    this.downloadPolicies = downloadPolicies;
    this.signing = signing;
    this.config = config;
    this.clock = clock;
    this.changed = changed;
    this.deltas = deltas;
  }

  /**
   * Signs a new document from the device's desired models, one generation up. The caller holds the
   * device row lock ({@link DeviceLocks}), which keeps generations strictly growing under
   * concurrent writers.
   */
  DeviceDesiredState publish(UUID deviceId) {
    DeviceDesiredState row = DeviceDesiredState.findById(deviceId);
    if (row == null) {
      row = new DeviceDesiredState();
      row.deviceId = deviceId;
    }
    Instant now = clock.instant();
    DesiredState.Builder state =
        DesiredState.newBuilder()
            .setDeviceId(deviceId.toString())
            .setGeneration(row.generation + 1)
            .setIssuedAtMs(now.toEpochMilli())
            .setExpiresAtMs(now.plus(config.desiredStateTtl()).toEpochMilli());
    Map<String, String> installed = installedArtifacts(deviceId);
    for (DesiredModel entry : DesiredModel.ofDevice(deviceId)) {
      dev.modelfleet.protocol.agent.v1.DesiredModel.Builder model =
          dev.modelfleet.protocol.agent.v1.DesiredModel.newBuilder()
              .setModel(entry.model.name)
              .setVersion(entry.variant.version.version)
              .setManifest(parse(entry.variant.manifest));
      if (entry.shadowVariant != null) {
        model.setShadow(
            ShadowCandidate.newBuilder()
                .setVersion(entry.shadowVariant.version.version)
                .setManifest(parse(entry.shadowVariant.manifest))
                .setComparison(entry.shadowComparison)
                .setSampleRate(entry.shadowSampleRate)
                .setMaxPerSecond(entry.shadowMaxPerSecond));
      }
      deltas.offer(entry.variant.id, installed.get(entry.model.name)).ifPresent(model::setDelta);
      state.addModels(model);
    }
    Device device = Device.findById(deviceId);
    downloadPolicies
        .forDevice(deviceId, device == null ? null : device.labels)
        .ifPresent(state::setDownloadPolicy);
    SignedEnvelope document = signing.signWithDirector(Dsse.DESIRED_STATE_TYPE, state.build());
    row.generation = state.getGeneration();
    row.document = document.toByteArray();
    row.issuedAt = now;
    row.expiresAt = now.plus(config.desiredStateTtl());
    row.persist();
    changed.fire(new DesiredStateChanged(deviceId, row.generation, document));
    return row;
  }

  /**
   * The artifact each model's active variant has on the device, as it last reported: the base a
   * delta must start from.
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
    for (UUID deviceId : devices) {
      DeviceLocks.lock(deviceId);
      publish(deviceId);
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
