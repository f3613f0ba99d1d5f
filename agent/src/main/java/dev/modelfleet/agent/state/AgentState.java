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
    String acceptedUnderKeys,
    List<ActiveModel> previousModels,
    long acceptedIssuedAtMs) {

  public static final AgentState EMPTY = new AgentState(0, "", List.of(), "", List.of(), 0);

  /**
   * @param previousModels versions that served before the active ones, newest first per model: the
   *     rollback copies whose artifacts the agent keeps (setting keep-old-versions); absent in a
   *     state written before they were recorded
   * @param acceptedIssuedAtMs the newest issued_at_ms (server time) of any document accepted, a
   *     device's or a hardware class's from a bundle: a class state must be issued after it, so an
   *     old class bundle cannot undo a newer update (0 in a state written before it was recorded)
   */
  public AgentState {
    activeModels = List.copyOf(activeModels == null ? List.of() : activeModels);
    previousModels = List.copyOf(previousModels == null ? List.of() : previousModels);
    acceptedPayloadSha256 = acceptedPayloadSha256 == null ? "" : acceptedPayloadSha256;
    acceptedUnderKeys = acceptedUnderKeys == null ? "" : acceptedUnderKeys;
  }

  public AgentState withAccepted(long generation, String payloadSha256) {
    return new AgentState(
        generation,
        payloadSha256,
        activeModels,
        acceptedUnderKeys,
        previousModels,
        acceptedIssuedAtMs);
  }

  /** A device document accepted: its generation, payload hash, keys and issue time. */
  public AgentState withAccepted(
      long generation, String payloadSha256, String underKeys, long issuedAtMs) {
    return new AgentState(
        generation,
        payloadSha256,
        activeModels,
        underKeys,
        previousModels,
        Math.max(acceptedIssuedAtMs, issuedAtMs));
  }

  /**
   * A hardware class's state accepted from a bundle: only its issue time moves; the device's own
   * generation sequence is left as it was, so the server's next document for it still applies.
   */
  public AgentState withClassAccepted(long issuedAtMs) {
    return new AgentState(
        acceptedGeneration,
        acceptedPayloadSha256,
        activeModels,
        acceptedUnderKeys,
        previousModels,
        Math.max(acceptedIssuedAtMs, issuedAtMs));
  }

  /** Makes {@code model} active; the one it replaces (other bytes) becomes the newest previous. */
  public AgentState withActive(ActiveModel model) {
    List<ActiveModel> models = new ArrayList<>(activeModels);
    List<ActiveModel> previous = new ArrayList<>(previousModels);
    ActiveModel replaced = active(model.model());
    models.removeIf(m -> m.model().equals(model.model()));
    models.add(model);
    previous.removeIf(m -> m.model().equals(model.model()) && m.sha256().equals(model.sha256()));
    if (replaced != null && !replaced.sha256().equals(model.sha256())) {
      previous.removeIf(
          m -> m.model().equals(replaced.model()) && m.sha256().equals(replaced.sha256()));
      previous.add(0, replaced);
    }
    return new AgentState(
        acceptedGeneration,
        acceptedPayloadSha256,
        models,
        acceptedUnderKeys,
        previous,
        acceptedIssuedAtMs);
  }

  public AgentState without(String model) {
    List<ActiveModel> models = new ArrayList<>(activeModels);
    models.removeIf(m -> m.model().equals(model));
    List<ActiveModel> previous = new ArrayList<>(previousModels);
    previous.removeIf(m -> m.model().equals(model));
    return new AgentState(
        acceptedGeneration,
        acceptedPayloadSha256,
        models,
        acceptedUnderKeys,
        previous,
        acceptedIssuedAtMs);
  }

  /** Keeps at most {@code keep} previous versions per model, the newest; returns the state. */
  public AgentState keepingPrevious(int keep) {
    List<ActiveModel> kept = new ArrayList<>();
    java.util.Map<String, Integer> counts = new java.util.HashMap<>();
    for (ActiveModel m : previousModels) {
      if (counts.merge(m.model(), 1, Integer::sum) <= keep) {
        kept.add(m);
      }
    }
    return new AgentState(
        acceptedGeneration,
        acceptedPayloadSha256,
        activeModels,
        acceptedUnderKeys,
        kept,
        acceptedIssuedAtMs);
  }

  public ActiveModel active(String model) {
    return activeModels.stream().filter(m -> m.model().equals(model)).findFirst().orElse(null);
  }
}
