package dev.modelfleet.cli.commands;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command that only groups others: run alone, it asks for one of them. */
public abstract class Group implements Runnable {

  @Spec protected CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help, with examples, and exit.")
  boolean help;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(),
        "'"
            + spec.qualifiedName()
            + "' needs a command: "
            + String.join(
                ", ",
                spec.subcommands().values().stream()
                    .map(CommandLine::getCommandName)
                    .distinct()
                    .toList()));
  }
}
