package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.Errors;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.ModelfleetCommand;
import dev.modelfleet.cli.Session;
import dev.modelfleet.cli.http.ApiClient;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.ListOutput;
import dev.modelfleet.cli.output.OutputFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A command that works with the session: its streams, output format and API client. */
public abstract class SessionCommand implements Callable<Integer> {

  @Spec protected CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help, with examples, and exit.")
  boolean help;

  protected Session session() {
    return ((ModelfleetCommand) spec.root().userObject()).session();
  }

  protected ApiClient api() {
    return session().api();
  }

  protected PrintStream out() {
    return session().out();
  }

  protected PrintStream err() {
    return session().err();
  }

  protected OutputFormat format() {
    return session().format();
  }

  /**
   * Prints one API object: as it is with {@code -o json|yaml}, else as {@code table} renders it for
   * people.
   */
  protected void print(JsonNode node, Consumer<PrintStream> table) {
    if (format().structured()) {
      Formats.write(format(), node, out());
    } else {
      table.accept(out());
      out().flush();
    }
  }

  /**
   * Prints one API object: as it is with {@code -o json|yaml}, else the {@code message} (a line
   * saying what was done).
   */
  protected void printDone(JsonNode node, String message) {
    print(node, out -> out.println(message));
  }

  /** Prints every item of a list, page by page, in the chosen format. */
  protected long printList(ApiPath path, long max, List<Column> columns, String none) {
    ListOutput list = new ListOutput(format(), out(), err(), columns, none);
    long items = api().forEachPage(path, ApiClient.PAGE_SIZE, max, list::add);
    list.finish();
    return items;
  }

  /** Prints the items of a list the API gives whole (inside another object). */
  protected void printItems(JsonNode items, List<Column> columns, String none) {
    ListOutput list = new ListOutput(format(), out(), err(), columns, none);
    List<JsonNode> all = new ArrayList<>();
    items.forEach(all::add);
    list.add(all);
    list.finish();
  }

  /**
   * Asks a person to confirm by typing {@code answer}; {@code yes} (the {@code --yes} option)
   * confirms without asking. Without a terminal to ask at, the command stops unless {@code yes}.
   */
  protected void confirm(String question, String answer, boolean yes) throws IOException {
    if (yes) {
      return;
    }
    if (!session().terminal().interactive()) {
      throw CliException.usage(
          "not confirmed (no terminal to ask at): " + question,
          "pass --yes to confirm without a prompt");
    }
    err().print(question + " Type '" + answer + "' to go on: ");
    err().flush();
    String typed =
        new BufferedReader(new InputStreamReader(session().in(), StandardCharsets.UTF_8))
            .readLine();
    if (typed == null || !typed.trim().equals(answer)) {
      throw new CliException(ExitCode.REFUSED, "not confirmed; nothing was changed", null);
    }
  }

  /**
   * Does {@code action} for each of {@code targets}, going on after a failure (told on standard
   * error); returns the exit status of the first failure, or 0.
   */
  protected int forEach(List<String> targets, Consumer<String> action) {
    int status = ExitCode.OK;
    for (String target : targets) {
      try {
        action.accept(target);
      } catch (CliException e) {
        if (targets.size() > 1) {
          err().print(target + ": ");
        }
        Errors.print(err(), e);
        if (status == ExitCode.OK) {
          status = e.exitCode();
        }
      }
    }
    return status;
  }

  @Override
  public Integer call() throws Exception {
    return run();
  }

  /** Does the command; returns the exit status. */
  protected abstract int run() throws Exception;
}
