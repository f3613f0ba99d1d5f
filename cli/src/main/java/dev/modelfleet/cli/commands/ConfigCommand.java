package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.config.Config;
import dev.modelfleet.cli.config.ConfigFile;
import dev.modelfleet.cli.config.Context;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "config",
    header = "List, choose and delete saved contexts.",
    description = {
      "Saved contexts (made by login): list them, choose the current one, delete one.",
      "MODELFLEET_SERVER, MODELFLEET_TOKEN and MODELFLEET_CA override the context's fields;",
      "--context NAME picks another context for one command."
    },
    subcommands = {
      ConfigCommand.GetContexts.class,
      ConfigCommand.CurrentContext.class,
      ConfigCommand.UseContext.class,
      ConfigCommand.DeleteContext.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet config get-contexts",
      "  modelfleet config use-context staging",
      "  modelfleet --context prod devices list"
    })
public final class ConfigCommand extends Group {

  @Command(
      name = "get-contexts",
      description = "The saved contexts ('*' marks the current one); never the tokens.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet config get-contexts"})
  static final class GetContexts extends SessionCommand {
    @Override
    protected int run() {
      ConfigFile file = session().configFile();
      Config config = file.load();
      ArrayNode rows = Formats.JSON.createArrayNode();
      for (Context c : config.contexts()) {
        ObjectNode row = rows.addObject();
        row.put("current", c.name().equals(config.currentContext()));
        row.put("name", c.name());
        row.put("server", c.server());
        row.put("ca", c.ca() == null ? "system" : "own");
      }
      printItems(
          rows,
          List.of(
              Column.of("CURRENT", r -> r.path("current").asBoolean() ? "*" : ""),
              Column.of("NAME", "name"),
              Column.of("SERVER", "server"),
              Column.of("CA", "ca")),
          "No contexts in " + file.path() + ": modelfleet login --server URL --token TOKEN");
      return 0;
    }
  }

  @Command(
      name = "current-context",
      description = "The current context's name.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet config current-context"})
  static final class CurrentContext extends SessionCommand {
    @Override
    protected int run() {
      Config config = session().configFile().load();
      Context current =
          config
              .current()
              .orElseThrow(
                  () ->
                      CliException.usage(
                          "no current context",
                          "modelfleet config use-context NAME, or modelfleet login"));
      out().println(current.name());
      return 0;
    }
  }

  @Command(
      name = "use-context",
      description = "Make a context the current one.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet config use-context staging"})
  static final class UseContext extends SessionCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    protected int run() {
      ConfigFile file = session().configFile();
      Config config = file.load();
      requireKnown(config, name);
      file.save(config.using(name));
      out().println("now using context " + name);
      return 0;
    }
  }

  @Command(
      name = "delete-context",
      description =
          "Forget a context (and its token). The token stays valid on the server: revoke it there.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet config delete-context old-lab"})
  static final class DeleteContext extends SessionCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    protected int run() {
      ConfigFile file = session().configFile();
      Config config = file.load();
      requireKnown(config, name);
      file.save(config.without(name));
      out().println("context " + name + " deleted");
      return 0;
    }
  }

  private static void requireKnown(Config config, String name) {
    if (config.find(name).isEmpty()) {
      throw CliException.usage(
          "no context named '" + Text.printable(name) + "'",
          config.contexts().isEmpty()
              ? "log in first: modelfleet login --server URL --token TOKEN"
              : "the contexts are: "
                  + config.contexts().stream()
                      .map(Context::name)
                      .collect(Collectors.joining(", ")));
    }
  }
}
