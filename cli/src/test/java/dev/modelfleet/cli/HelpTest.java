package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.cli.support.Cli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every command explains itself with --help and examples; the completion script covers them. */
class HelpTest {

  @TempDir Path dir;

  private static List<CommandLine> all(CommandLine command) {
    List<CommandLine> out = new ArrayList<>();
    out.add(command);
    command.getSubcommands().values().stream()
        .distinct()
        .forEach(
            sub ->
                all(sub)
                    .forEach(
                        c -> {
                          if (!out.contains(c)) {
                            out.add(c);
                          }
                        }));
    return out;
  }

  @Test
  void everyCommandHasHelpWithAnExample() {
    CommandLine root =
        new CommandLine(new ModelfleetCommand(new Cli(dir.resolve("c.yaml")).session()));
    List<String> missing = new ArrayList<>();
    for (CommandLine command : all(root)) {
      String name = command.getCommandSpec().qualifiedName();
      Cli.Result help = new Cli(dir.resolve("c.yaml")).run(args(name, "--help"));
      assertEquals(0, help.exit(), name + ": " + help);
      if (!help.out().contains("\n  modelfleet ")) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "commands whose --help has no example");
  }

  @Test
  void topLevelHelpListsTheCommandGroups() {
    Cli.Result help = new Cli(dir.resolve("c.yaml")).run("--help");
    for (String group :
        List.of(
            "login",
            "config",
            "status",
            "devices",
            "enrollment-tokens",
            "models",
            "versions",
            "variants",
            "assign",
            "rollouts",
            "trials",
            "trust",
            "access-tokens",
            "audit",
            "completion")) {
      assertTrue(help.out().contains("\n  " + group), group + " in\n" + help.out());
    }
  }

  @Test
  void completionIsABashScriptThatKnowsTheCommands() {
    Cli.Result completion = new Cli(dir.resolve("c.yaml")).run("completion");
    assertEquals(0, completion.exit());
    assertTrue(completion.out().contains("complete -F _complete_modelfleet"), completion.out());
    assertTrue(completion.out().contains("rollouts"));
    assertTrue(completion.out().contains("--selector"));
  }

  private static String[] args(String qualifiedName, String... more) {
    List<String> args = new ArrayList<>(List.of(qualifiedName.split(" ")));
    args.remove(0); // "modelfleet"
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }
}
