package dev.modelfleet.cli.commands;

import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "audit",
    header = "The audit log, newest first (admin only).",
    description = {
      "The audit log, newest first: every change and refused call (admin only).",
      "-o json shows each entry whole, with the before and after of what it changed."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet audit",
      "  modelfleet audit --actor ci-deployer --since 24h -o wide",
      "  modelfleet audit --since 2026-11-26T00:00:00Z --limit 0 -o json > audit.json"
    })
public final class AuditCommand extends SessionCommand {

  @Option(
      names = "--actor",
      description = "Only entries of this token name (admin: the bootstrap token).")
  String actor;

  @Option(
      names = "--since",
      converter = Converters.InstantConverter.class,
      description = "An instant (2026-11-26T00:00:00Z) or a time ago (24h, 7d).")
  Instant since;

  @Option(
      names = "--limit",
      defaultValue = "100",
      description = "At most this many entries (default ${DEFAULT-VALUE}; 0: all, page by page).")
  long limit;

  @Override
  protected int run() {
    printList(
        ApiPath.api("audit").query("actor", actor).query("since", since),
        limit,
        List.of(
            Column.of("AT", "at"),
            Column.of("ACTOR", "actor"),
            Column.wide("ROLE", "role"),
            Column.of("METHOD", "method"),
            Column.of("STATUS", "status"),
            Column.of("OUTCOME", "outcome"),
            Column.wide("FROM", "remoteAddress"),
            Column.wide("COUNT", "count"),
            Column.wide("TARGET", "target"),
            Column.of("PATH", "path")),
        "No audit entries.");
    return 0;
  }
}
