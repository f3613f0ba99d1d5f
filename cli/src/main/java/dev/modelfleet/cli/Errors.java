package dev.modelfleet.cli;

import java.io.PrintStream;

/** How a failure is told: one line {@code error: ...}, then {@code hint: ...} when there is one. */
public final class Errors {

  private Errors() {}

  public static void print(PrintStream err, CliException e) {
    err.println("error: " + e.getMessage());
    if (e.hint() != null) {
      err.println("hint: " + e.hint());
    }
    err.flush();
  }
}
