package dev.modelfleet.cli;

/**
 * A command that cannot go on, with the exit status to end with, the one-line message and, where
 * there is one, a hint saying what to do about it.
 */
public class CliException extends RuntimeException {

  private final int exitCode;
  private final String hint;

  public CliException(int exitCode, String message, String hint) {
    super(message);
    this.exitCode = exitCode;
    this.hint = hint;
  }

  public CliException(int exitCode, String message, String hint, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
    this.hint = hint;
  }

  /** The command line or a local file given to it is wrong. */
  public static CliException usage(String message, String hint) {
    return new CliException(ExitCode.USAGE, message, hint);
  }

  public int exitCode() {
    return exitCode;
  }

  /** What to do about it, or null. */
  public String hint() {
    return hint;
  }
}
