package dev.modelfleet.server.access;

/**
 * Who is calling the admin API. Set by the auth filter as a request property, so that resources and
 * the audit log see the same caller.
 */
public record Identity(String name, Role role) {

  /** The request property that carries the caller's {@link Identity}. */
  public static final String PROPERTY = "modelfleet.identity";

  /**
   * The configured MODELFLEET_ADMIN_TOKEN: the identity that exists before any token does. Named
   * "admin" because rollout events recorded before API tokens existed already name it so.
   */
  public static final Identity BOOTSTRAP = new Identity("admin", Role.ADMIN);
}
