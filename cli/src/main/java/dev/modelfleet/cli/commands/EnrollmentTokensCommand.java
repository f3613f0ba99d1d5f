package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Text;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "enrollment-tokens",
    header = "Tokens that let devices join the fleet.",
    description = "Enrollment tokens: what lets devices join the fleet, with labels and limits.",
    subcommands = {
      EnrollmentTokensCommand.Create.class,
      EnrollmentTokensCommand.ListTokens.class,
      EnrollmentTokensCommand.Revoke.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet enrollment-tokens create line-3 --label site=plant-a --label line=3 \\",
      "      --max-uses 50 --expires-in 1d",
      "  modelfleet enrollment-tokens list"
    })
public final class EnrollmentTokensCommand extends Group {

  static List<Column> columns(Instant now) {
    return List.of(
        Column.of("ID", "id"),
        Column.of("NAME", "name"),
        Column.of("STATE", "state"),
        Column.of("USES", t -> Text.cell(t.path("uses")) + "/" + Text.cell(t.path("maxUses"))),
        Column.of("EXPIRES", t -> Text.age(t.path("expiresAt"), now)),
        Column.of("APPROVAL", t -> t.path("requireApproval").asBoolean() ? "required" : ""),
        Column.wide("CREATED", t -> Text.age(t.path("createdAt"), now)),
        Column.of("LABELS", t -> Text.labels(t.path("labels"))));
  }

  @Command(
      name = "create",
      description = {
        "Create an enrollment token. Its secret is shown once: give it to the devices' agents",
        "(enrollment-token in their configuration)."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet enrollment-tokens create line-3 --label site=plant-a --max-uses 50",
        "  modelfleet enrollment-tokens create lab --expires-in 2h --require-approval",
        "  SECRET=$(modelfleet enrollment-tokens create ci -o json | jq -r .token)"
      })
  static final class Create extends SessionCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = "--label",
        paramLabel = "KEY=VALUE",
        description = "A label every device enrolled with it gets (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(
        names = "--expires-in",
        converter = Converters.DurationConverter.class,
        description = "How long it may be used: 30m, 12h, 7d, ... (default: 1 day).")
    Duration expiresIn;

    @Option(names = "--max-uses", description = "How many devices may enroll with it (default 1).")
    Integer maxUses;

    @Option(
        names = "--require-approval",
        description = "Devices enrolled with it wait as pending until approved.")
    boolean requireApproval;

    @Override
    protected int run() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      body.put("labels", labels);
      if (expiresIn != null) {
        body.put("expiresInSeconds", expiresIn.toSeconds());
      }
      if (maxUses != null) {
        body.put("maxUses", maxUses);
      }
      if (requireApproval) {
        body.put("requireApproval", true);
      }
      JsonNode created = api().post(ApiPath.api("enrollment-tokens"), body);
      JsonNode token = created.path("enrollmentToken");
      print(
          created,
          out -> {
            out.println(
                "enrollment token "
                    + Text.cell(token.path("name"))
                    + " ("
                    + Text.cell(token.path("id"))
                    + "), "
                    + Text.cell(token.path("maxUses"))
                    + " use(s), expires "
                    + Text.cell(token.path("expiresAt")));
            out.println("secret (shown once): " + Text.cell(created.path("token")));
          });
      return 0;
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "List enrollment tokens, oldest first (never their secrets).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet enrollment-tokens list -o wide")
  static final class ListTokens extends SessionCommand {
    @Option(names = "--limit", description = "Stop after this many (default: all).")
    long limit;

    @Override
    protected int run() {
      printList(
          ApiPath.api("enrollment-tokens"),
          limit,
          columns(session().clock().instant()),
          "No enrollment tokens.");
      return 0;
    }
  }

  @Command(
      name = "revoke",
      description = "Stop tokens enrolling more devices (devices already enrolled stay).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet enrollment-tokens revoke 0b7f5a0e-4d1b-4a55-9d43-7c1c7e3f2a10")
  static final class Revoke extends SessionCommand {
    @Parameters(paramLabel = "TOKEN_ID", arity = "1..*")
    List<String> ids;

    @Override
    protected int run() {
      return forEach(
          ids,
          id -> {
            JsonNode token = api().post(ApiPath.api("enrollment-tokens", id, "revoke"), null);
            printDone(
                token,
                "enrollment token "
                    + Text.cell(token.path("name"))
                    + " ("
                    + Text.cell(token.path("id"))
                    + ") revoked");
          });
    }
  }
}
