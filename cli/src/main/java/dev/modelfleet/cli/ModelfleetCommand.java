package dev.modelfleet.cli;

import dev.modelfleet.cli.commands.AccessTokensCommand;
import dev.modelfleet.cli.commands.ArtifactsCommand;
import dev.modelfleet.cli.commands.AssignCommand;
import dev.modelfleet.cli.commands.AuditCommand;
import dev.modelfleet.cli.commands.BundlesCommand;
import dev.modelfleet.cli.commands.CompletionCommand;
import dev.modelfleet.cli.commands.ConfigCommand;
import dev.modelfleet.cli.commands.DevicesCommand;
import dev.modelfleet.cli.commands.EnrollmentTokensCommand;
import dev.modelfleet.cli.commands.HardwareClassesCommand;
import dev.modelfleet.cli.commands.LoginCommand;
import dev.modelfleet.cli.commands.ModelsCommand;
import dev.modelfleet.cli.commands.RolloutsCommand;
import dev.modelfleet.cli.commands.StatusCommand;
import dev.modelfleet.cli.commands.TrialsCommand;
import dev.modelfleet.cli.commands.TrustCommand;
import dev.modelfleet.cli.commands.VariantsCommand;
import dev.modelfleet.cli.commands.VersionsCommand;
import dev.modelfleet.cli.output.OutputFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code modelfleet}: the command groups, and the options every command takes. */
@Command(
    name = "modelfleet",
    mixinStandardHelpOptions = true,
    versionProvider = ModelfleetCommand.Version.class,
    description = {
      "The ModelFleet command line: devices, models, rollouts and the rest of the admin API,",
      "with live progress. Start with: modelfleet login --server URL --token TOKEN"
    },
    commandListHeading = "%nCommands:%n",
    subcommands = {
      LoginCommand.class,
      ConfigCommand.class,
      StatusCommand.class,
      DevicesCommand.class,
      HardwareClassesCommand.class,
      EnrollmentTokensCommand.class,
      ModelsCommand.class,
      VersionsCommand.class,
      VariantsCommand.class,
      AssignCommand.class,
      RolloutsCommand.class,
      TrialsCommand.class,
      TrustCommand.class,
      AccessTokensCommand.class,
      AuditCommand.class,
      ArtifactsCommand.class,
      BundlesCommand.class,
      CompletionCommand.class
    },
    footerHeading = "%nExit status:%n",
    footer = {
      "  0 ok",
      "  2 usage error: a bad option, a missing or unparsable file",
      "  3 not found",
      "  4 refused or conflict; a rollout that ended paused, aborted or rolled back",
      "  5 unauthorized or forbidden (or not logged in)",
      "  6 server error",
      "  7 server unreachable, or TLS with it failed",
      "",
      "Examples:",
      "  modelfleet login --server https://fleet.example.com --token mft_...",
      "  modelfleet devices list --selector site=plant-a",
      "  modelfleet variants push detector 1.1.0 detector.onnx --precision fp32 --ep cpu --create",
      "  modelfleet rollouts create -f plan.yaml --start --watch",
      "",
      "Every command has --help with examples. Docs: docs/cli.md"
    })
public final class ModelfleetCommand implements Runnable {

  @Spec CommandSpec spec;

  @Option(
      names = "--context",
      scope = ScopeType.INHERIT,
      paramLabel = "NAME",
      description = "Use this saved context instead of the current one.")
  String context;

  @Option(
      names = {"-o", "--output"},
      scope = ScopeType.INHERIT,
      paramLabel = "FORMAT",
      converter = OutputFormat.Converter.class,
      completionCandidates = OutputFormat.Names.class,
      description = "table (default), wide, json or yaml.")
  OutputFormat output;

  private final Session session;

  public ModelfleetCommand(Session session) {
    this.session = session;
  }

  public Session session() {
    return session;
  }

  /** Hands the global options to the session before a command runs. */
  void applyOptions() {
    session.contextName(context);
    session.format(output);
  }

  @Override
  public void run() {
    spec.commandLine().usage(session.out());
  }

  /** The version of this command line, as built. */
  public static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"modelfleet " + Session.version()};
    }
  }
}
