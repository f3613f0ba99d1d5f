package dev.modelfleet.server.bundle;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.BundleEntry;
import dev.modelfleet.protocol.agent.v1.BundleIndex;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.assignment.DesiredStateService;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Ids;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.signing.RootMetadataChain;
import dev.modelfleet.server.signing.Signer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Makes an offline bundle's signed parts in one transaction: a desired state per device (one
 * generation up, valid for the site's time offline), the root chain, and the index that names every
 * entry by sha256 and size, signed by the director keys. The artifacts are only named here; {@link
 * BundleResource} streams them from the store.
 */
@ApplicationScoped
public class BundleService {

  public static final String ROOT_CHAIN = "root-chain.pb";
  public static final String INDEX = "index.dsse";

  /**
   * What the request asks for: devices by deviceIds or selector (not both), hardware classes, or
   * both; a class state holds the models named in {@code models} ("name=version").
   */
  public record BundleRequest(
      List<String> deviceIds,
      String selector,
      List<String> hardwareClasses,
      List<String> models,
      String expiresIn) {}

  /** The bundle's small entries, in tar order, and the artifacts that follow them. */
  public record Plan(
      UUID id,
      Map<String, byte[]> documents,
      List<BundleEntry> artifacts,
      long size,
      Instant expiresAt) {}

  private final DeviceService devices;
  private final DesiredStateService desiredStates;
  private final RootMetadataChain roots;
  private final Signer signer;
  private final ArtifactStore store;
  private final BundleConfig config;
  private final Clock clock;
  private final ClassStates classStates;

  BundleService(
      DeviceService devices,
      DesiredStateService desiredStates,
      RootMetadataChain roots,
      Signer signer,
      ArtifactStore store,
      BundleConfig config,
      Clock clock,
      ClassStates classStates) {
    this.classStates = classStates;
    this.devices = devices;
    this.desiredStates = desiredStates;
    this.roots = roots;
    this.signer = signer;
    this.store = store;
    this.config = config;
    this.clock = clock;
  }

  @Transactional
  public Plan prepare(BundleRequest request, String actor) {
    boolean byIds =
        request != null && request.deviceIds() != null && !request.deviceIds().isEmpty();
    boolean bySelector = request != null && request.selector() != null;
    List<String> classIds =
        request == null || request.hardwareClasses() == null
            ? List.of()
            : List.copyOf(new LinkedHashSet<>(request.hardwareClasses()));
    if (request == null || (byIds && bySelector) || (!byIds && !bySelector && classIds.isEmpty())) {
      throw ApiError.INVALID_REQUEST.exception(
          "Give 'deviceIds' (a list of device ids) or 'selector' (a label selector such as"
              + " site=harbour), not both, and/or 'hardwareClasses' (hardware class ids, see GET"
              + " /api/v1/hardware-classes) with 'models' (name=version each).");
    }
    Duration ttl = expiry(request.expiresIn());
    List<ClassStates.ModelRef> models = ClassStates.models(request.models(), !classIds.isEmpty());
    List<Device> targets = byIds || bySelector ? targets(request) : List.of();
    Instant now = clock.instant();
    UUID id = UUID.randomUUID();

    Map<String, byte[]> documents = new LinkedHashMap<>();
    byte[] rootChain =
        RootUpdate.newBuilder().addAllRootMetadata(roots.rootChain()).build().toByteArray();
    Map<String, BundleEntry> artifacts = new LinkedHashMap<>();
    Map<String, byte[]> stateDocs = new LinkedHashMap<>();
    int smaller = 0;
    for (Device device : targets) {
      SignedEnvelope document = desiredStates.publishForBundle(device.id, ttl);
      stateDocs.put("devices/" + device.id + ".dsse", document.toByteArray());
      for (DesiredModel model : parseState(document).getModelsList()) {
        smaller += addSmallest(artifacts, model) ? 1 : 0;
        if (model.hasShadow()) {
          addArtifact(artifacts, model.getShadow().getManifest());
        }
      }
    }
    for (String classId : classIds) {
      SignedEnvelope document = classStates.sign(classId, models, now, ttl);
      stateDocs.put("classes/" + classId + ".dsse", document.toByteArray());
      // whole files: the server cannot know which base a device it never met holds
      for (DesiredModel model : ClassStates.parse(document).getState().getModelsList()) {
        addArtifact(artifacts, model.getManifest());
      }
    }
    BundleIndex.Builder index =
        BundleIndex.newBuilder()
            .setBundleId(id.toString())
            .setCreatedAtMs(now.toEpochMilli())
            .setExpiresAtMs(now.plus(ttl).toEpochMilli())
            .setCreatedBy(actor == null ? "" : actor)
            .setRootVersion(rootVersion())
            .addAllHardwareClasses(classIds);
    index.addEntries(entry(ROOT_CHAIN, rootChain));
    stateDocs.forEach((name, bytes) -> index.addEntries(entry(name, bytes)));
    index.addAllEntries(artifacts.values());
    byte[] signedIndex =
        signer.signWithDirector(Dsse.BUNDLE_INDEX_TYPE, index.build()).toByteArray();

    documents.put(ROOT_CHAIN, rootChain);
    documents.put(INDEX, signedIndex);
    documents.putAll(stateDocs);
    List<Long> sizes = new ArrayList<>();
    documents.values().forEach(d -> sizes.add((long) d.length));
    artifacts.values().forEach(a -> sizes.add(a.getSize()));
    long size = TarWriter.archiveSize(sizes);

    Bundle bundle = new Bundle();
    bundle.id = id;
    bundle.createdBy = actor == null ? "" : actor;
    bundle.createdAt = now;
    bundle.expiresAt = now.plus(ttl);
    bundle.deviceIds = targets.stream().map(d -> d.id.toString()).collect(Collectors.joining(","));
    bundle.hardwareClasses = String.join(",", classIds);
    bundle.artifactCount = artifacts.size();
    bundle.deltaCount = smaller;
    bundle.sizeBytes = size;
    bundle.indexSha256 = Dsse.sha256Hex(signedIndex);
    bundle.persist();
    return new Plan(id, documents, List.copyOf(artifacts.values()), size, bundle.expiresAt);
  }

  /**
   * Adds the fewest bytes that let the device install the model: the delta from what it reported
   * running when the server holds one (the desired state offers it, signed), else the compressed
   * copy, else the whole artifact. The agent tries them in that order and checks what it rebuilds
   * against the manifest's sha256 and size; offline, the whole file is not there to fall back to,
   * so a device that lost its base reports why and keeps serving. Returns true for a delta or a
   * compressed copy.
   */
  private boolean addSmallest(Map<String, BundleEntry> artifacts, DesiredModel model) {
    if (model.hasDelta() && store.contains(model.getDelta().getSha256())) {
      add(artifacts, model.getDelta().getSha256(), model.getDelta().getSize());
      return true;
    }
    if (model.hasCompressed() && store.contains(model.getCompressed().getSha256())) {
      add(artifacts, model.getCompressed().getSha256(), model.getCompressed().getSize());
      return true;
    }
    addArtifact(artifacts, model.getManifest());
    return false;
  }

  private static void add(Map<String, BundleEntry> artifacts, String sha256, long size) {
    String name = "artifacts/" + sha256;
    artifacts.putIfAbsent(
        name, BundleEntry.newBuilder().setName(name).setSha256(sha256).setSize(size).build());
  }

  private List<Device> targets(BundleRequest request) {
    List<Device> targets;
    if (request.selector() != null) {
      targets = devices.find(request.selector(), "active");
      if (targets.isEmpty()) {
        throw ApiError.EMPTY_SELECTION.exception(
            "No active device matches the selector '" + request.selector() + "'.");
      }
    } else {
      targets = new ArrayList<>();
      for (String raw : new LinkedHashSet<>(request.deviceIds())) {
        Device device = devices.get(Ids.parse("device", raw));
        if (!device.isActive()) {
          throw ApiError.ILLEGAL_STATE.exception(
              "Device "
                  + raw
                  + " is "
                  + device.status.value()
                  + "; only active devices get a"
                  + " bundle.");
        }
        targets.add(device);
      }
    }
    if (targets.size() > config.maxDevices()) {
      throw ApiError.INVALID_REQUEST.exception(
          "The bundle would hold "
              + targets.size()
              + " devices; at most "
              + config.maxDevices()
              + " (modelfleet.bundle.max-devices). Split it by label.");
    }
    return targets;
  }

  /** "30d", "12h", "90m" or "3600s"; bounded by modelfleet.bundle.max-expiry. */
  Duration expiry(String requested) {
    if (requested == null || requested.isBlank()) {
      return config.defaultExpiry();
    }
    Duration ttl;
    try {
      String s = requested.strip();
      long amount = Long.parseLong(s.substring(0, s.length() - 1));
      ttl =
          switch (s.charAt(s.length() - 1)) {
            case 'd' -> Duration.ofDays(amount);
            case 'h' -> Duration.ofHours(amount);
            case 'm' -> Duration.ofMinutes(amount);
            case 's' -> Duration.ofSeconds(amount);
            default -> throw new NumberFormatException();
          };
    } catch (RuntimeException e) {
      throw ApiError.INVALID_REQUEST.exception(
          "'expiresIn' is a number and a unit (d, h, m or s), e.g. 30d; got '" + requested + "'.");
    }
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(config.maxExpiry()) > 0) {
      throw ApiError.INVALID_REQUEST.exception(
          "'expiresIn' must be more than 0 and at most "
              + config.maxExpiry().toDays()
              + " days (modelfleet.bundle.max-expiry); got '"
              + requested
              + "'.");
    }
    return ttl;
  }

  private void addArtifact(Map<String, BundleEntry> artifacts, SignedEnvelope manifestEnvelope) {
    VariantManifest manifest;
    try {
      manifest = VariantManifest.parseFrom(manifestEnvelope.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored manifest does not parse", e);
    }
    String name = "artifacts/" + manifest.getSha256();
    if (!artifacts.containsKey(name)) {
      if (!store.contains(manifest.getSha256())) {
        throw ApiError.ILLEGAL_STATE.exception(
            "Artifact "
                + manifest.getSha256()
                + " is no longer in the artifact store; the bundle cannot carry it.");
      }
      artifacts.put(
          name,
          BundleEntry.newBuilder()
              .setName(name)
              .setSha256(manifest.getSha256())
              .setSize(manifest.getSize())
              .build());
    }
  }

  private long rootVersion() {
    List<SignedEnvelope> chain = roots.rootChain();
    try {
      return RootMetadata.parseFrom(chain.get(chain.size() - 1).getPayload()).getVersion();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the root metadata does not parse", e);
    }
  }

  private static DesiredState parseState(SignedEnvelope document) {
    try {
      return DesiredState.parseFrom(document.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a signed desired state does not parse", e);
    }
  }

  private static BundleEntry entry(String name, byte[] content) {
    return BundleEntry.newBuilder()
        .setName(name)
        .setSha256(Dsse.sha256Hex(content))
        .setSize(content.length)
        .build();
  }

  /** The record of a bundle made earlier. */
  @Transactional
  public Bundle get(UUID id) {
    Bundle bundle = Bundle.findById(id);
    if (bundle == null) {
      throw ApiError.NOT_FOUND.exception("No bundle with id '" + id + "'.");
    }
    return bundle;
  }
}
