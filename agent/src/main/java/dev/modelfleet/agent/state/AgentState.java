package dev.modelfleet.agent.state;

import java.util.ArrayList;
import java.util.List;

/**
 * What the agent has accepted and activated. Written after every change so that a restart serves
 * the same models before it reaches the server, and refuses the same replays.
 *
 * <p>{@code acceptedUnderKeys} names the director keys that signed the accepted generation (empty
 * in a state written before it was recorded): the generation floor holds only while those keys do,
 * so that rotating a compromised key away also undoes a fast-forward attack.
 */
public record AgentState(
    long acceptedGeneration,
    String acceptedPayloadSha256,
    List<ActiveModel> activeModels,
    String acceptedUnderKeys) {

  public static final AgentState EMPTY = new AgentState(0, "", List.of(), "");

  public AgentState {
    activeModels = List.copyOf(activeModels == null ? List.of() : activeModels);
    acceptedPayloadSha256 = acceptedPayloadSha256 == null ? "" : acceptedPayloadSha256;
    acceptedUnderKeys = acceptedUnderKeys == null ? "" : acceptedUnderKeys;
  }

  public AgentState withAccepted(long generation, String payloadSha256) {
    return new AgentState(generation, payloadSha256, activeModels, acceptedUnderKeys);
  }

  public AgentState withAccepted(long generation, String payloadSha256, String underKeys) {
    return new AgentState(generation, payloadSha256, activeModels, underKeys);
  }

  public AgentState withActive(ActiveModel model) {
    List<ActiveModel> models = new ArrayList<>(activeModels);
    models.removeIf(m -> m.model().equals(model.model()));
    models.add(model);
    return new AgentState(acceptedGeneration, acceptedPayloadSha256, models, acceptedUnderKeys);
  }

  public AgentState without(String model) {
    List<ActiveModel> models = new ArrayList<>(activeModels);
    models.removeIf(m -> m.model().equals(model));
    return new AgentState(acceptedGeneration, acceptedPayloadSha256, models, acceptedUnderKeys);
  }

  public ActiveModel active(String model) {
    return activeModels.stream().filter(m -> m.model().equals(model)).findFirst().orElse(null);
  }
}
