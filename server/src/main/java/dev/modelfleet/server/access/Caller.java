package dev.modelfleet.server.access;

import jakarta.enterprise.context.RequestScoped;

/**
 * The caller of the current admin API request, for resources that record who acted (rollout events,
 * device approvals). The auth filter fills it once it has authenticated the request; nothing a
 * client sends can set it.
 */
@RequestScoped
public class Caller {

  private Identity identity;

  /** Called by the auth filter only. */
  public void authenticated(Identity identity) {
    this.identity = identity;
  }

  /** The caller's name: its access token's, or "admin" for the configured admin token. */
  public String name() {
    if (identity == null) {
      throw new IllegalStateException("no authenticated caller on this request");
    }
    return identity.name();
  }
}
