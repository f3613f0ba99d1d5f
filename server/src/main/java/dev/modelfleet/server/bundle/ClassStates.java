package dev.modelfleet.server.bundle;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ClassDesiredState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceStatus;
import dev.modelfleet.server.hardware.HardwareClass;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import dev.modelfleet.server.matching.MatchingService;
import dev.modelfleet.server.matching.VersionMatcher;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.signing.Signer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Signs the desired state of a hardware class for a bundle: the variant of each named model version
 * that the matcher picks for the class (against the profile of its most recently seen active
 * member: a class is born from a device's report, and its members share what the matcher reads but
 * memory and disk, which the agent checks itself before loading). The document names the class, not
 * a device (docs/security.md, "Class bundles").
 */
@ApplicationScoped
class ClassStates {

  /** A model version a class state names. */
  record ModelRef(String model, String version) {}

  private final MatchingService matching;
  private final Signer signer;

  ClassStates(MatchingService matching, Signer signer) {
    this.matching = matching;
    this.signer = signer;
  }

  /** The request's "name=version" list: required with classes, refused without. */
  static List<ModelRef> models(List<String> raw, boolean classes) {
    List<ModelRef> models = new ArrayList<>();
    for (String each : raw == null ? List.<String>of() : raw) {
      int eq = each == null ? -1 : each.indexOf('=');
      if (eq <= 0 || eq == each.length() - 1) {
        throw ApiError.INVALID_REQUEST.exception(
            "'models' entries are name=version, e.g. detector=2.1; got '" + each + "'.");
      }
      ModelRef ref = new ModelRef(each.substring(0, eq).strip(), each.substring(eq + 1).strip());
      if (models.stream().anyMatch(m -> m.model().equals(ref.model()))) {
        throw ApiError.INVALID_REQUEST.exception(
            "'models' names model '" + ref.model() + "' twice; a device serves one version.");
      }
      models.add(ref);
    }
    if (classes && models.isEmpty()) {
      throw ApiError.INVALID_REQUEST.exception(
          "A bundle for hardware classes needs 'models' (name=version each): what the class runs.");
    }
    if (!classes && !models.isEmpty()) {
      throw ApiError.INVALID_REQUEST.exception(
          "'models' applies to 'hardwareClasses' only; devices get what is assigned to them.");
    }
    return models;
  }

  /** Signs the class's state, valid from {@code now} for {@code ttl}. */
  SignedEnvelope sign(String classId, List<ModelRef> models, Instant now, Duration ttl) {
    if (HardwareClass.findById(classId) == null) {
      throw ApiError.NOT_FOUND.exception(
          "No hardware class '" + classId + "' (GET /api/v1/hardware-classes lists them).");
    }
    Device member =
        Device.<Device>find(
                "hardwareClassId = ?1 and status = ?2 order by lastSeenAt desc nulls last, id",
                classId,
                DeviceStatus.ACTIVE)
            .firstResult();
    if (member == null) {
      throw ApiError.ILLEGAL_STATE.exception(
          "Hardware class '"
              + classId
              + "' has no active device whose profile the matcher could read; enroll one"
              + " first.");
    }
    DesiredState.Builder state =
        DesiredState.newBuilder()
            .setIssuedAtMs(now.toEpochMilli())
            .setExpiresAtMs(now.plus(ttl).toEpochMilli());
    for (ModelRef ref : models) {
      VersionMatcher matcher =
          matching.forVersion(ModelService.usableVersion(ref.model(), ref.version()), null);
      MatchDecision decision = matcher.decide(member);
      Variant variant = matcher.chosenVariant(decision);
      if (variant == null) {
        throw ApiError.ILLEGAL_STATE.exception(
            "No variant of "
                + ref.model()
                + " "
                + ref.version()
                + " fits hardware class '"
                + classId
                + "': "
                + decision.reason());
      }
      try {
        state.addModels(
            DesiredModel.newBuilder()
                .setModel(ref.model())
                .setVersion(ref.version())
                .setManifest(SignedEnvelope.parseFrom(variant.manifest)));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("a stored manifest does not parse", e);
      }
    }
    return signer.signWithDirector(
        Dsse.CLASS_DESIRED_STATE_TYPE,
        ClassDesiredState.newBuilder().setHardwareClass(classId).setState(state).build());
  }

  static ClassDesiredState parse(SignedEnvelope document) {
    try {
      return ClassDesiredState.parseFrom(document.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a signed class state does not parse", e);
    }
  }
}
