package dev.modelfleet.server.rollout;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.LabelSelector;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.rollout.RolloutRequests.CreateRollout;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What a rollout would do if it started now: the devices its selector matches and how the same
 * placement the engine uses ({@link WavePlanner}) spreads them over the waves, canaries included.
 * Nothing is stored; the real placement at start differs only in the hash seed.
 */
@ApplicationScoped
public class RolloutPreview {

  /** One wave: how many devices, and of which hardware classes. */
  public record WavePreview(int index, int devices, Map<String, Integer> byHardwareClass) {}

  public record Preview(
      String model, String version, String selector, int devices, List<WavePreview> waves) {}

  private final RolloutSelection selection;

  RolloutPreview(RolloutSelection selection) {
    this.selection = selection;
  }

  @Transactional
  public Preview preview(CreateRollout request) {
    if (request.model() == null || request.version() == null || request.selector() == null) {
      throw ApiError.INVALID_REQUEST.exception("'model', 'version' and 'selector' are required.");
    }
    LabelSelector.parse(request.selector());
    RolloutPlan plan = RolloutPlanParser.parse(request);
    ModelService.usableVersion(request.model(), request.version());
    List<Device> selected = selection.select(request.selector());
    List<WavePlanner.Candidate> candidates =
        selected.stream().map(d -> new WavePlanner.Candidate(d.id, d.hardwareClassId)).toList();
    List<Map<String, Integer>> byWave =
        plan.waves().stream()
            .map(w -> (Map<String, Integer>) new TreeMap<String, Integer>())
            .toList();
    for (WavePlanner.Placement p : WavePlanner.place(UUID.randomUUID(), candidates, plan.waves())) {
      String hardwareClass = p.hardwareClassId() == null ? "unprofiled" : p.hardwareClassId();
      byWave.get(p.wave()).merge(hardwareClass, 1, Integer::sum);
    }
    List<WavePreview> waves =
        java.util.stream.IntStream.range(0, byWave.size())
            .mapToObj(
                i ->
                    new WavePreview(
                        i,
                        byWave.get(i).values().stream().mapToInt(Integer::intValue).sum(),
                        byWave.get(i)))
            .toList();
    return new Preview(
        request.model(), request.version(), request.selector(), selected.size(), waves);
  }
}
