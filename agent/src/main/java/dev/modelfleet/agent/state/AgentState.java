package dev.modelfleet.agent.state;

import java.util.ArrayList;
import java.util.List;

/**
 * What the agent has accepted and activated. Written after every change so that a restart
 * serves the same models before it reaches the server, and refuses the same replays.
 */
public record AgentState(
    long acceptedGeneration, String acceptedPayloadSha256, List<ActiveModel> activeModels) {

  public static final AgentState EMPTY = new AgentState(0, "", List.of());

  public AgentState {
    activeModels = List.copyOf(activeModels == null ? List.of() : activeModels);
    acceptedPayloadSha256 = acceptedPayloadSha256 == null ? "" : acceptedPayloadSha256;
  }

  public AgentState withAccepted(long generation, String payloadSha256) {
    return new AgentState(generation, payloadSha256, activeModels);
  }

  public AgentState withActive(ActiveModel model) {
    List<ActiveModel> models = new ArrayList<>(activeModels);
    models.removeIf(m -> m.model().equals(model.model()));
    models.add(model);
    return new AgentState(acceptedGeneration, acceptedPayloadSha256, models);
  }

  public AgentState without(String model) {
    List<ActiveModel> models = new ArrayList<>(activeModels);
    models.removeIf(m -> m.model().equals(model));
    return new AgentState(acceptedGeneration, acceptedPayloadSha256, models);
  }

  public ActiveModel active(String model) {
    return activeModels.stream().filter(m -> m.model().equals(model)).findFirst().orElse(null);
  }
}
