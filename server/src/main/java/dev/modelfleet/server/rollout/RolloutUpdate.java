package dev.modelfleet.server.rollout;

import dev.modelfleet.server.rollout.RolloutViews.RolloutView;
import java.util.Set;

/**
 * One reading of a rollout, as {@code GET /api/v1/rollouts/{id}} shows it.
 *
 * @param reading increases with every reading this replica makes: a later reading never shows an
 *     older state, so a watcher drops one whose number is below what it already showed
 * @param view the rollout
 * @param json {@code view} as the API writes it, on one line
 */
public record RolloutUpdate(long reading, RolloutView view, String json) {

  static final Set<RolloutState> FINAL =
      Set.of(RolloutState.COMPLETED, RolloutState.ABORTED, RolloutState.ROLLED_BACK);

  /** Completed, aborted or rolled back: nothing changes any more. */
  public boolean isFinal() {
    return FINAL.contains(view.state());
  }
}
