package dev.modelfleet.cli.commands;

import picocli.AutoComplete;
import picocli.CommandLine.Command;

@Command(
    name = "completion",
    header = "Print the bash (and zsh) completion script.",
    description = "Print the bash (and zsh) completion script for modelfleet.",
    footerHeading = "%nExamples:%n",
    footer = {
      "  source <(modelfleet completion)                      # this shell",
      "  modelfleet completion > /etc/bash_completion.d/modelfleet   # every shell",
      "  (zsh: autoload -U +X bashcompinit && bashcompinit, then source it)"
    })
public final class CompletionCommand extends SessionCommand {

  @Override
  protected int run() {
    out().print(AutoComplete.bash("modelfleet", spec.root().commandLine()));
    out().flush();
    return 0;
  }
}
