package dev.modelfleet.cli.http;

import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;

/**
 * The server refused or failed a request. Printed as one line, {@code error: CODE: DETAIL (HTTP
 * STATUS)}, and a hint where the code says what to do.
 */
public final class ApiException extends CliException {

  private final int status;
  private final String code;

  public ApiException(int status, String code, String detail, String hint) {
    super(ExitCode.ofHttpStatus(status), line(status, code, detail), hint);
    this.status = status;
    this.code = code;
  }

  private static String line(int status, String code, String detail) {
    return (code == null ? "" : code + ": ") + detail + " (HTTP " + status + ")";
  }

  public int status() {
    return status;
  }

  /** The problem's stable code ({@code duplicate-variant}), or null for a body without one. */
  public String code() {
    return code;
  }
}
