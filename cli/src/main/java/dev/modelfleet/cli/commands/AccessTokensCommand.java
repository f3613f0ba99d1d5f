package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Text;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "access-tokens",
    header = "API tokens with roles (admin only).",
    description = "API tokens for people and tools, each with a role (admin only).",
    subcommands = {
      AccessTokensCommand.Create.class,
      AccessTokensCommand.ListTokens.class,
      AccessTokensCommand.Revoke.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet access-tokens create ci-deployer --role operator --expires-in 90d",
      "  modelfleet access-tokens list",
      "  modelfleet access-tokens revoke 6a1d3c2e-9f0b-4e57-8a44-1b2c3d4e5f60"
    })
public final class AccessTokensCommand extends Group {

  @Command(
      name = "create",
      description = "Create an API token; its secret (mft_...) is shown once.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet access-tokens create ci-deployer --role operator --expires-in 90d",
        "  modelfleet access-tokens create dashboards --role viewer"
      })
  static final class Create extends SessionCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = "--role",
        required = true,
        completionCandidates = Roles.class,
        description = "${COMPLETION-CANDIDATES}")
    String role;

    @Option(
        names = "--expires-in",
        converter = Converters.DurationConverter.class,
        description = "Lifetime: 12h, 90d, ... (default: until revoked).")
    Duration expiresIn;

    @Override
    protected int run() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      body.put("role", role);
      if (expiresIn != null) {
        body.put("expiresInSeconds", expiresIn.toSeconds());
      }
      JsonNode created = api().post(ApiPath.api("access", "tokens"), body);
      JsonNode token = created.path("apiToken");
      print(
          created,
          out -> {
            out.println(
                "API token "
                    + Text.cell(token.path("name"))
                    + " ("
                    + Text.cell(token.path("id"))
                    + "), role "
                    + Text.cell(token.path("role"))
                    + (token.path("expiresAt").isTextual()
                        ? ", expires " + Text.cell(token.path("expiresAt"))
                        : ", until revoked"));
            out.println("secret (shown once): " + Text.cell(created.path("token")));
            out.println(
                "use it: modelfleet login --server "
                    + api().connection().server()
                    + " --token SECRET --name "
                    + Text.cell(token.path("name")));
          });
      return 0;
    }
  }

  static final class Roles implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return List.of("admin", "operator", "viewer").iterator();
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "API tokens, oldest first (never their secrets).",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet access-tokens list -o wide"})
  static final class ListTokens extends SessionCommand {
    @Override
    protected int run() {
      Instant now = session().clock().instant();
      printList(
          ApiPath.api("access", "tokens"),
          0,
          List.of(
              Column.of("ID", "id"),
              Column.of("NAME", "name"),
              Column.of("ROLE", "role"),
              Column.of("STATE", "state"),
              Column.of("EXPIRES", t -> Text.age(t.path("expiresAt"), now)),
              Column.of("LAST USED", t -> Text.age(t.path("lastUsedAt"), now)),
              Column.wide("CREATED BY", "createdBy"),
              Column.wide("CREATED", "createdAt")),
          "No API tokens.");
      return 0;
    }
  }

  @Command(
      name = "revoke",
      description = "Refuse tokens from their next request on, on every replica.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet access-tokens revoke 6a1d3c2e-9f0b-4e57-8a44-1b2c3d4e5f60"})
  static final class Revoke extends SessionCommand {
    @Parameters(paramLabel = "TOKEN_ID", arity = "1..*")
    List<String> ids;

    @Override
    protected int run() {
      return forEach(
          ids,
          id -> {
            JsonNode token = api().post(ApiPath.api("access", "tokens", id, "revoke"), null);
            printDone(
                token,
                "API token "
                    + Text.cell(token.path("name"))
                    + " ("
                    + Text.cell(token.path("id"))
                    + ") revoked");
          });
    }
  }
}
