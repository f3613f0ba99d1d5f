package dev.modelfleet.server.access;

import java.util.Locale;

/** What an API client may do; see {@link AccessPolicy} for the rules. */
public enum Role {
  ADMIN,
  OPERATOR,
  VIEWER;

  /** As stored and as shown in the API: lowercase. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Null when the text names no role. */
  public static Role parse(String text) {
    for (Role role : values()) {
      if (role.wire().equals(text)) {
        return role;
      }
    }
    return null;
  }
}
