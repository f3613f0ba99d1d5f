package dev.modelfleet.agent.bundle;

import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.identity.DeviceIdentity;
import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Imports an offline bundle: reads and checks it whole ({@link BundleReader}), checks this device's
 * desired state as the Sync path would (signature threshold, device id, generation, expiry) before
 * anything changes, then takes newer root versions and hands the document to the same {@link
 * Deployer} the Sync session uses, its artifacts moved from the staged bundle into the store (each
 * written once). A refusal changes nothing: the staged files are removed and the models in service
 * stay; a deployment that then fails removes the artifacts it placed unless a model uses them.
 */
public final class BundleImporter {

  private static final Logger LOG = Logger.getLogger("modelfleet.bundle");

  /** What happened: the bundle's id (when its index verified), and why it failed, if it did. */
  public record Result(
      String bundleId, boolean installed, String reasonCode, String reason, List<String> models) {

    public static Result refused(String bundleId, String code, String reason) {
      return new Result(bundleId, false, code, reason, List.of());
    }
  }

  /** Takes root versions newer than the trusted one (the identity's rotation rules). */
  interface RootUpdates {
    void update(List<SignedEnvelope> newer, long nowMs) throws VerificationException, IOException;
  }

  private final Supplier<TrustedRoot> trusted;
  private final String deviceId;
  private final RootUpdates roots;
  private final Consumer<TrustedRoot> rootInUse;
  private final RootPin pin;
  private final StateStore store;
  private final Deployer deployer;
  private final BundleArtifactSource artifacts;
  private final LongSupplier clock;
  private volatile Supplier<String> hardwareClass = () -> "";
  private volatile String importing;
  private final List<DeploymentProgress> failures = new ArrayList<>();
  private final List<String> activated = new ArrayList<>();

  public BundleImporter(
      DeviceIdentity identity,
      RootPin pin,
      StateStore store,
      Deployer deployer,
      BundleArtifactSource artifacts,
      LongSupplier clock) {
    this(
        identity::trustedRoot,
        identity.deviceId(),
        (newer, now) -> identity.roots().update(newer, now),
        root -> {},
        pin,
        store,
        deployer,
        artifacts,
        clock);
  }

  private BundleImporter(
      Supplier<TrustedRoot> trusted,
      String deviceId,
      RootUpdates roots,
      Consumer<TrustedRoot> rootInUse,
      RootPin pin,
      StateStore store,
      Deployer deployer,
      BundleArtifactSource artifacts,
      LongSupplier clock) {
    this.trusted = trusted;
    this.deviceId = deviceId;
    this.roots = roots;
    this.rootInUse = rootInUse;
    this.pin = pin;
    this.store = store;
    this.deployer = deployer;
    this.artifacts = artifacts;
    this.clock = clock;
  }

  /**
   * For a device not enrolled yet: it has no id and trusts only its pinned root keys, so it takes
   * only its hardware class's state, verified under the root chain the bundle brings (walked from
   * those keys); {@code rootInUse} hands that root to the deployer's verifier before it applies the
   * state. No root version is kept: enrollment brings the chain.
   */
  public static BundleImporter unenrolled(
      RootPin pin,
      StateStore store,
      Deployer deployer,
      BundleArtifactSource artifacts,
      LongSupplier clock,
      Consumer<TrustedRoot> rootInUse) {
    return new BundleImporter(
        () -> null, "", (newer, now) -> {}, rootInUse, pin, store, deployer, artifacts, clock);
  }

  /**
   * Names this device's hardware class (HardwareClassId of the profile it reports), so that a
   * bundle made for the class installs here; without it only bundles that name this device do.
   */
  public BundleImporter withHardwareClass(Supplier<String> hardwareClass) {
    this.hardwareClass = hardwareClass;
    return this;
  }

  /**
   * Marks a deployer report made while a bundle is applied with the bundle's id, and notes its
   * outcome for the result; the agent's progress listener passes every report through here.
   */
  public DeploymentProgress observe(DeploymentProgress progress) {
    String id = importing;
    if (id == null) {
      return progress;
    }
    synchronized (failures) {
      if (progress.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED) {
        failures.add(progress);
      } else if (progress.getState() == DeploymentState.DEPLOYMENT_STATE_ACTIVE) {
        activated.add(progress.getModel() + " " + progress.getVersion());
      }
    }
    return progress.toBuilder().setBundleId(id).build();
  }

  public synchronized Result importBundle(Path file) throws InterruptedException {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      return Result.refused("", "bundle-unreadable", "cannot read " + file + " (a regular file?)");
    }
    Path staging;
    try {
      staging = Files.createTempDirectory(store.dir(), "bundle-");
    } catch (IOException e) {
      return Result.refused("", "bundle-io", "cannot stage the bundle: " + e.getMessage());
    }
    try {
      VerifiedBundle bundle;
      try {
        bundle =
            new BundleReader(pin, trusted.get(), deviceId, hardwareClass.get(), clock.getAsLong())
                .read(file, staging);
        // Checked before anything changes: the deployer would refuse it the same way, but only
        // after the root versions below were taken.
        DesiredStateVerifier verifier =
            new DesiredStateVerifier(bundle::root, deviceId, clock)
                .withHardwareClass(hardwareClass);
        if (bundle.forClass()) {
          verifier.verifyClass(bundle.desiredState(), store.current());
        } else {
          verifier.verify(bundle.desiredState(), store.current());
        }
      } catch (VerificationException e) {
        LOG.warning("bundle " + file + " refused (" + e.reasonCode() + "): " + e.getMessage());
        return Result.refused("", e.reasonCode(), e.getMessage());
      }
      if (!bundle.newerRoots().isEmpty()) {
        try {
          roots.update(bundle.newerRoots(), clock.getAsLong());
        } catch (VerificationException e) {
          return Result.refused(bundle.id(), e.reasonCode(), e.getMessage());
        }
      }
      rootInUse.accept(bundle.root());
      synchronized (failures) {
        failures.clear();
        activated.clear();
      }
      Map<String, Path> placed = place(bundle.artifacts());
      artifacts.offer(bundle.artifacts());
      importing = bundle.id();
      boolean accepted;
      try {
        accepted =
            bundle.forClass()
                ? deployer.applyClassState(bundle.desiredState())
                : deployer.apply(bundle.desiredState());
      } finally {
        importing = null;
        artifacts.clear();
      }
      synchronized (failures) {
        if (!failures.isEmpty()) {
          removeUnused(placed);
          DeploymentProgress first = failures.get(0);
          return new Result(
              bundle.id(),
              false,
              first.getReasonCode(),
              (accepted ? "model " + first.getModel() + " " + first.getVersion() + ": " : "")
                  + first.getReason()
                  + smallerCopyNotUsed(first),
              List.copyOf(activated));
        }
        LOG.info("bundle " + bundle.id() + " installed: " + activated);
        return new Result(bundle.id(), true, "", "", List.copyOf(activated));
      }
    } catch (IOException e) {
      return Result.refused("", "bundle-io", "cannot read the bundle: " + e.getMessage());
    } finally {
      deleteTree(staging);
    }
  }

  /**
   * Why the bundle's delta or compressed copy did not give the artifact, when one was tried:
   * offline the whole file is not there to fall back to, so that is the reason worth reading.
   */
  private static String smallerCopyNotUsed(DeploymentProgress failed) {
    StringBuilder why = new StringBuilder();
    if (!failed.getDeltaFallbackReason().isEmpty()) {
      why.append(" (the bundle's delta was not used: ")
          .append(failed.getDeltaFallbackReason())
          .append(')');
    }
    if (!failed.getCompressedFallbackReason().isEmpty()) {
      why.append(" (the bundle's compressed copy was not used: ")
          .append(failed.getCompressedFallbackReason())
          .append(')');
    }
    return why.toString();
  }

  /**
   * Moves the staged artifacts (verified against the signed index while they were written) to their
   * place in the store, where the deployer's download finds them and only re-reads them to check:
   * each artifact is written once, not staged and then copied. A rename, since the staging folder
   * is inside the state dir. Returns those it placed (not already there).
   */
  private Map<String, Path> place(Map<String, Path> staged) throws IOException {
    Map<String, Path> placed = new HashMap<>();
    for (Map.Entry<String, Path> artifact : staged.entrySet()) {
      Path target = store.artifact(artifact.getKey());
      if (Files.exists(target)) {
        continue;
      }
      Files.createDirectories(target.getParent());
      Files.move(artifact.getValue(), target, StandardCopyOption.ATOMIC_MOVE);
      placed.put(artifact.getKey(), target);
    }
    if (!placed.isEmpty()) {
      SecureFiles.syncDirectory(store.artifactsDir());
    }
    return placed;
  }

  /** After a failed import: removes the artifacts it placed that no model serves or keeps. */
  private void removeUnused(Map<String, Path> placed) {
    Set<String> kept = new HashSet<>();
    store.current().activeModels().forEach(m -> kept.add(m.sha256()));
    store.current().previousModels().forEach(m -> kept.add(m.sha256()));
    placed.forEach(
        (sha256, file) -> {
          if (!kept.contains(sha256)) {
            try {
              Files.deleteIfExists(file);
            } catch (IOException e) {
              LOG.warning("could not remove " + file + ": " + e.getMessage());
            }
          }
        });
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warning("could not remove " + dir + ": " + e.getMessage());
    }
  }
}
