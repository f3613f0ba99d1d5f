package dev.modelfleet.server.access;

/**
 * Which role may make which request. Decided on the method and the path alone, before routing, so a
 * refused caller learns nothing about which paths exist.
 */
public final class AccessPolicy {

  /**
   * Managing access, reading the audit trail and the replica's own figures and switches
   * (/api/v1/system) stay with admins.
   */
  private static final String[] ADMIN_ONLY = {"/api/v1/access", "/api/v1/audit", "/api/v1/system"};

  /** Anyone may read the fleet's trust anchor; only admins may change it. */
  private static final String[] ADMIN_ONLY_WRITES = {"/api/v1/trust"};

  private AccessPolicy() {}

  /** Null when allowed; otherwise a detail that tells the caller what to ask for. */
  public static String refusal(Role role, String method, String path) {
    if (role == Role.ADMIN) {
      return null;
    }
    for (String prefix : ADMIN_ONLY) {
      if (path.equals(prefix) || path.startsWith(prefix + "/")) {
        return "Only role admin may use "
            + prefix
            + "/**; this token has role "
            + role.wire()
            + ".";
      }
    }
    for (String prefix : ADMIN_ONLY_WRITES) {
      if (!isRead(method) && (path.equals(prefix) || path.startsWith(prefix + "/"))) {
        return "Only role admin may change "
            + prefix
            + "/**; this token has role "
            + role.wire()
            + ".";
      }
    }
    if (role == Role.VIEWER && !isRead(method)) {
      return "Role viewer may only read (GET, HEAD); ask an admin for an operator token.";
    }
    return null;
  }

  /**
   * Null when the role may use the resource class at all: the same areas by the classes that serve
   * them, those marked {@link AdminOnly}.
   */
  public static String refusal(Role role, Class<?> resourceClass) {
    if (role == Role.ADMIN || !resourceClass.isAnnotationPresent(AdminOnly.class)) {
      return null;
    }
    return "Only role admin may manage access, read the audit log, change the root of trust"
        + " or use /api/v1/system; this token has role "
        + role.wire()
        + ".";
  }

  public static boolean isRead(String method) {
    return "GET".equals(method) || "HEAD".equals(method);
  }
}
