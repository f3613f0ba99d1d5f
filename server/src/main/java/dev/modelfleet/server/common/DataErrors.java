package dev.modelfleet.server.common;

import java.sql.SQLException;

/**
 * Recognizes a value PostgreSQL refused to store (SQLSTATE class 22, "data exception": a NUL
 * character in text or JSON, a string too long for its column, a timestamp out of range). Such a
 * failure is the caller's bad input, not a server fault; the transaction was rolled back.
 */
public final class DataErrors {

  private DataErrors() {}

  public static boolean isBadValue(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && sql.getSQLState() != null
          && sql.getSQLState().startsWith("22")) {
        return true;
      }
    }
    return false;
  }

  public static final String DETAIL =
      "A value in the request cannot be stored (for example a NUL character, or a value out of"
          + " range); nothing was stored.";
}
