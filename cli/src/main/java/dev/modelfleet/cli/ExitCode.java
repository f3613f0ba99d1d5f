package dev.modelfleet.cli;

/** What the command's exit status tells a script. Stable: scripts branch on these (docs/cli.md). */
public final class ExitCode {

  /** The command did what was asked. */
  public static final int OK = 0;

  /** A fault in the command line tool itself (a bug); the message says what happened. */
  public static final int INTERNAL = 1;

  /**
   * The command line is wrong: an unknown command or option, a bad value, a local file that is
   * missing or does not parse, a configuration file that is unsafe.
   */
  public static final int USAGE = 2;

  /** The server has no such thing (HTTP 404). */
  public static final int NOT_FOUND = 3;

  /**
   * The server refused the request as given (HTTP 400, 409, 422, other 4xx), or what was waited for
   * ended badly (a rollout paused, aborted or rolled back; a derivation failed).
   */
  public static final int REFUSED = 4;

  /** No credentials, or the server refused them (HTTP 401, 403). */
  public static final int UNAUTHORIZED = 5;

  /** The server failed (HTTP 5xx). */
  public static final int SERVER_ERROR = 6;

  /** The server could not be reached, or TLS with it failed. */
  public static final int UNREACHABLE = 7;

  private ExitCode() {}

  /** The exit status for an HTTP error status. */
  public static int ofHttpStatus(int status) {
    if (status == 404) {
      return NOT_FOUND;
    }
    if (status == 401 || status == 403) {
      return UNAUTHORIZED;
    }
    if (status >= 500) {
      return SERVER_ERROR;
    }
    return REFUSED;
  }
}
