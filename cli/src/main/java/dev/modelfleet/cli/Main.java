package dev.modelfleet.cli;

import dev.modelfleet.cli.output.Terminal;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/** The entry point: runs one command and exits with its status (see {@link ExitCode}). */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    System.exit(
        run(
            args,
            new Session(
                env,
                System.out,
                System.err,
                System.in,
                Terminal.detect(env),
                Clock.systemDefaultZone())));
  }

  /** Runs one command in {@code session}; returns its exit status. */
  public static int run(String[] args, Session session) {
    ModelfleetCommand root = new ModelfleetCommand(session);
    CommandLine cli = new CommandLine(root);
    PrintStream out = session.out();
    PrintStream err = session.err();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setUsageHelpWidth(Math.max(80, Math.min(120, session.terminal().width())));
    cli.setColorScheme(
        CommandLine.Help.defaultColorScheme(session.terminal().live() ? Ansi.AUTO : Ansi.OFF));
    cli.setExecutionStrategy(
        parseResult -> {
          root.applyOptions();
          return new CommandLine.RunLast().execute(parseResult);
        });
    cli.setParameterExceptionHandler(
        (ex, args1) -> {
          CommandLine failed = ex.getCommandLine();
          err.println("error: " + ex.getMessage());
          String hint =
              ex instanceof CommandLine.UnmatchedArgumentException unmatched
                      && !unmatched.getSuggestions().isEmpty()
                  ? "did you mean: " + String.join(", ", unmatched.getSuggestions()) + "?"
                  : "see: " + failed.getCommandSpec().qualifiedName() + " --help";
          err.println("hint: " + hint);
          err.flush();
          return ExitCode.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof CliException e) {
            Errors.print(err, e);
            return e.exitCode();
          }
          if (ex instanceof CommandLine.ParameterException e) {
            return cli.getParameterExceptionHandler().handleParseException(e, new String[0]);
          }
          if (ex instanceof UncheckedIOException e && e.getCause() != null) {
            err.println("error: " + e.getCause().getMessage());
            return ExitCode.INTERNAL;
          }
          err.println("error: " + ex);
          if (session.env().containsKey("MODELFLEET_DEBUG")) {
            ex.printStackTrace(err);
          } else {
            err.println("hint: a fault in the command line; MODELFLEET_DEBUG=1 shows where");
          }
          return ExitCode.INTERNAL;
        });
    return cli.execute(args);
  }
}
