package dev.modelfleet.agent.trust;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.agent.state.ActiveModel;
import dev.modelfleet.agent.state.AgentState;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ClassDesiredState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The rules a desired-state document must pass before the agent acts on it (TUF/Uptane in spirit):
 * signed by the director keys (targets keys for a server without a director role), for this device,
 * newer than what was accepted, not expired, under a root that has not expired. Each refusal names
 * what an operator can do about it.
 */
public final class DesiredStateVerifier {

  /**
   * An expired document is what a freeze attack (updates withheld, the last good document replayed)
   * looks like: the reason code says so, so that the server can show a stale device.
   */
  public static final String EXPIRED = "desired-state-expired";

  /** A variant manifest past its expiry: the same freeze, one level down (targets metadata). */
  public static final String MANIFEST_EXPIRED = "manifest-expired";

  /** An older signed manifest of the variant in service: a rollback of targets metadata. */
  public static final String MANIFEST_ROLLBACK = "manifest-rollback";

  /** A class state for another hardware class than this device's. */
  public static final String WRONG_CLASS = "wrong-hardware-class";

  /** A class state not issued after the newest document this device accepted. */
  public static final String CLASS_ROLLBACK = "class-state-rollback";

  private final Supplier<TrustedRoot> root;
  private final String deviceId;
  private final LongSupplier clock;
  private volatile Supplier<String> hardwareClass = () -> "";

  public DesiredStateVerifier(Supplier<TrustedRoot> root, String deviceId, LongSupplier clock) {
    this.root = root;
    this.deviceId = deviceId;
    this.clock = clock;
  }

  /**
   * Names this device's hardware class (dev.modelfleet.protocol.HardwareClassId of the profile it
   * reports), for class states from bundles; without it every class state is refused.
   */
  public DesiredStateVerifier withHardwareClass(Supplier<String> hardwareClass) {
    this.hardwareClass = hardwareClass;
    return this;
  }

  /**
   * Verifies a hardware class's state from an offline bundle (docs/security.md, "Class bundles"):
   * signed by the director threshold under its own payload type, for the class this device computes
   * from its own profile, issued after every document this device accepted (so an old class bundle
   * cannot undo a newer update, whichever way it came), not expired, under an unexpired root.
   * Returns the state to apply; the device's own generation sequence is not part of it.
   */
  public DesiredState verifyClass(SignedEnvelope envelope, AgentState accepted)
      throws VerificationException {
    TrustedRoot trusted = root.get();
    requireRootNotExpired(trusted, "hardware class state");
    byte[] payload =
        EnvelopeVerifier.verify(
            envelope,
            Dsse.CLASS_DESIRED_STATE_TYPE,
            trusted.director().keys(),
            trusted.director().threshold(),
            "hardware class state");
    ClassDesiredState document;
    try {
      document = ClassDesiredState.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException("malformed", "hardware class state does not parse", e);
    }
    String own = hardwareClass.get();
    if (own == null || own.isEmpty() || !own.equals(document.getHardwareClass())) {
      throw new VerificationException(
          WRONG_CLASS,
          "the state is for hardware class '"
              + document.getHardwareClass()
              + "', this device is of class '"
              + own
              + "'; refused (GET /api/v1/hardware-classes names each class)");
    }
    DesiredState state = document.getState();
    if (!state.getDeviceId().isEmpty()) {
      throw new VerificationException(
          "malformed", "a hardware class state names device '" + state.getDeviceId() + "'");
    }
    if (state.getIssuedAtMs() <= accepted.acceptedIssuedAtMs()) {
      throw new VerificationException(
          CLASS_ROLLBACK,
          "the hardware class state was issued at "
              + state.getIssuedAtMs()
              + " ms, not after the newest document this device accepted ("
              + accepted.acceptedIssuedAtMs()
              + " ms); an older bundle was imported again (rollback refused)");
    }
    if (state.getExpiresAtMs() <= clock.getAsLong()) {
      throw new VerificationException(
          EXPIRED,
          "the hardware class state expired at "
              + state.getExpiresAtMs()
              + " ms; refused, the models in service stay (check the device clock too)");
    }
    return state;
  }

  /**
   * @param acceptedGeneration the last generation this device accepted
   * @param acceptedPayloadSha256 sha256 of that document's payload: the same document may be
   *     re-applied (the server re-sends it on every reconnect), a different one with the same
   *     generation is a replay
   */
  public DesiredState verify(
      SignedEnvelope envelope, long acceptedGeneration, String acceptedPayloadSha256)
      throws VerificationException {
    return verify(root.get(), envelope, acceptedGeneration, acceptedPayloadSha256);
  }

  /** A verified desired state and the director keys it was verified with. */
  public record Accepted(DesiredState state, String directorKeysId) {}

  /**
   * Verifies against what the device accepted before. The generation floor binds only while the
   * director keys that signed the accepted generation are still the trusted ones: once a root
   * rotation replaced them, a generation an attacker pushed up with a stolen key must not lock the
   * server's real documents out (TUF's fast-forward attack recovery), and documents signed by the
   * old keys no longer verify at all.
   */
  public Accepted verify(SignedEnvelope envelope, AgentState accepted)
      throws VerificationException {
    TrustedRoot trusted = root.get();
    boolean sameKeys =
        accepted.acceptedUnderKeys().isEmpty()
            || accepted.acceptedUnderKeys().equals(trusted.directorKeysId());
    DesiredState state =
        sameKeys
            ? verify(
                trusted, envelope, accepted.acceptedGeneration(), accepted.acceptedPayloadSha256())
            : verify(trusted, envelope, 0, "");
    return new Accepted(state, trusted.directorKeysId());
  }

  private DesiredState verify(
      TrustedRoot trusted,
      SignedEnvelope envelope,
      long acceptedGeneration,
      String acceptedPayloadSha256)
      throws VerificationException {
    requireRootNotExpired(trusted, "desired state");
    byte[] payload =
        EnvelopeVerifier.verify(
            envelope,
            Dsse.DESIRED_STATE_TYPE,
            trusted.director().keys(),
            trusted.director().threshold(),
            "desired state");
    DesiredState state;
    try {
      state = DesiredState.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException("malformed", "desired state does not parse", e);
    }
    if (!deviceId.equals(state.getDeviceId())) {
      throw new VerificationException(
          "wrong-device",
          "desired state is for device '"
              + state.getDeviceId()
              + "', this device is '"
              + deviceId
              + "'; the server sent another device's document");
    }
    long generation = state.getGeneration();
    boolean sameDocument =
        generation == acceptedGeneration && Dsse.sha256Hex(payload).equals(acceptedPayloadSha256);
    if (generation < acceptedGeneration || (generation == acceptedGeneration && !sameDocument)) {
      throw new VerificationException(
          "generation-rollback",
          "desired state generation "
              + generation
              + " is not newer than the accepted generation "
              + acceptedGeneration
              + "; an old document was replayed (rollback refused)");
    }
    if (state.getExpiresAtMs() <= clock.getAsLong()) {
      throw new VerificationException(
          EXPIRED,
          "desired state generation "
              + generation
              + " expired at "
              + state.getExpiresAtMs()
              + " ms; refused, the models in service stay but may be stale until the server"
              + " re-issues it (check the device clock too)");
    }
    return state;
  }

  /**
   * The keys of an expired root may have been revoked by a version this device never got (the
   * server's keys frozen in place): nothing they sign is accepted until a renewed root arrives. The
   * restart does not check this, so that the device still connects to receive one.
   */
  private void requireRootNotExpired(TrustedRoot trusted, String what)
      throws VerificationException {
    try {
      trusted.checkNotExpired(clock.getAsLong());
    } catch (VerificationException e) {
      throw new VerificationException(
          e.reasonCode(), what + " refused: " + e.getMessage() + "; the models in service stay", e);
    }
  }

  /**
   * Verifies a model's embedded manifest (whether it names the model it is listed for is the
   * deployer's check).
   */
  public VariantManifest verifyManifest(DesiredModel model) throws VerificationException {
    return verifyManifest(
        model.getManifest(), "manifest of model " + model.getModel() + " " + model.getVersion());
  }

  /**
   * Verifies a manifest envelope on its own (a trial's candidate): payload type, targets key
   * signature, sane sha256/size. {@code what} names it in refusals.
   */
  public VariantManifest verifyManifest(SignedEnvelope envelope, String what)
      throws VerificationException {
    TrustedRoot trusted = root.get();
    requireRootNotExpired(trusted, what);
    byte[] payload =
        EnvelopeVerifier.verify(
            envelope,
            Dsse.VARIANT_MANIFEST_TYPE,
            trusted.targetsKeys(),
            trusted.targetsThreshold(),
            what);
    VariantManifest manifest;
    try {
      manifest = VariantManifest.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException("malformed", what + " does not parse", e);
    }
    if (!Dsse.isSha256Hex(manifest.getSha256()) || manifest.getSize() <= 0) {
      throw new VerificationException(
          "manifest-invalid", what + " has no valid sha256/size for its artifact");
    }
    // 0 is "no expiry": what a server from before manifest expiry signs.
    if (manifest.getExpiresAtMs() != 0 && manifest.getExpiresAtMs() <= clock.getAsLong()) {
      throw new VerificationException(
          MANIFEST_EXPIRED,
          what
              + " (targets version "
              + manifest.getTargetsVersion()
              + ") expired at "
              + manifest.getExpiresAtMs()
              + " ms; refused, the model in service stays but may be"
              + " stale until the server renews the manifest (check the device clock too)");
    }
    return manifest;
  }

  /**
   * Refuses a manifest of the variant already in service that is older (lower targets version) than
   * the one accepted for it: a validly signed but superseded manifest replayed, e.g. one the server
   * has since re-signed with another expiry. Manifests of other variants carry their own version
   * sequence, so they are not compared.
   */
  public static void requireNotRolledBack(VariantManifest manifest, ActiveModel installed)
      throws VerificationException {
    if (installed != null
        && installed.variantId().equals(manifest.getVariantId())
        && manifest.getTargetsVersion() < installed.targetsVersion()) {
      throw new VerificationException(
          MANIFEST_ROLLBACK,
          "manifest of variant "
              + manifest.getVariantId()
              + " has targets version "
              + manifest.getTargetsVersion()
              + ", older than the installed version "
              + installed.targetsVersion()
              + "; an old manifest was replayed (rollback refused)");
    }
  }
}
