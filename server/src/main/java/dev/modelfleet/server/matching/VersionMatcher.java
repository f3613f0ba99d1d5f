package dev.modelfleet.server.matching;

import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import dev.modelfleet.server.model.Variant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/** One model version's variants and trial figures, loaded once, matched against many devices. */
public final class VersionMatcher {

  private final List<VariantSpec> specs;
  private final Map<UUID, Variant> variants;
  private final ClassTrials trials;
  private final Double accuracyFloor;

  VersionMatcher(List<Variant> variants, ClassTrials trials, Double accuracyFloor) {
    this.specs = variants.stream().map(VariantSpec::of).toList();
    this.variants = variants.stream().collect(Collectors.toMap(v -> v.id, Function.identity()));
    this.trials = trials;
    this.accuracyFloor = accuracyFloor;
  }

  public MatchDecision decide(Device device) {
    return VariantMatcher.match(DeviceProfile.of(device), specs, trials, accuracyFloor);
  }

  /** The variant entity a decision chose, or null when nothing fits. */
  public Variant chosenVariant(MatchDecision decision) {
    return decision.chosen() == null ? null : variants.get(decision.chosen().variantId());
  }

  /** The variants the device could run at all, best first: what a trial should time. */
  public List<Variant> runnable(MatchDecision decision) {
    return decision.candidates().stream()
        .filter(MatchViews.Candidate::kept)
        .map(c -> variants.get(c.variantId()))
        .toList();
  }
}
