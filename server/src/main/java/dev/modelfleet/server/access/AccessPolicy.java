package dev.modelfleet.server.access;

/**
 * Which role may make which request. Decided on the method and the path alone, before routing,
 * so a refused caller learns nothing about which paths exist.
 */
public final class AccessPolicy {

  /** Managing access and reading the audit trail stay with admins. */
  private static final String[] ADMIN_ONLY = {"/api/v1/access", "/api/v1/audit"};

  /** Anyone may read the fleet's trust anchor; only admins may change it. */
  private static final String[] ADMIN_ONLY_WRITES = {"/api/v1/trust"};

  private static final String[] ADMIN_ONLY_PACKAGES = {
    "dev.modelfleet.server.access", "dev.modelfleet.server.audit",
    "dev.modelfleet.server.signing.admin"
  };

  private AccessPolicy() {}

  /** Null when allowed; otherwise a detail that tells the caller what to ask for. */
  public static String refusal(Role role, String method, String path) {
    if (role == Role.ADMIN) {
      return null;
    }
    for (String prefix : ADMIN_ONLY) {
      if (path.equals(prefix) || path.startsWith(prefix + "/")) {
        return "Only role admin may use " + prefix + "/**; this token has role " + role.wire()
            + ".";
      }
    }
    for (String prefix : ADMIN_ONLY_WRITES) {
      if (!isRead(method) && (path.equals(prefix) || path.startsWith(prefix + "/"))) {
        return "Only role admin may change " + prefix + "/**; this token has role " + role.wire()
            + ".";
      }
    }
    if (role == Role.VIEWER && !isRead(method)) {
      return "Role viewer may only read (GET, HEAD); ask an admin for an operator token.";
    }
    return null;
  }

  /** Null when the role may use the resource class at all; the admin-only areas by package. */
  public static String refusal(Role role, Class<?> resourceClass) {
    if (role == Role.ADMIN) {
      return null;
    }
    String pkg = resourceClass.getPackageName();
    for (String adminOnly : ADMIN_ONLY_PACKAGES) {
      if (pkg.equals(adminOnly) || pkg.startsWith(adminOnly + ".")) {
        return "Only role admin may manage access, read the audit log or change the root of"
            + " trust; this token has role "
            + role.wire() + ".";
      }
    }
    return null;
  }

  public static boolean isRead(String method) {
    return "GET".equals(method) || "HEAD".equals(method);
  }
}
