package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.config.ConnectionResolver;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.trust.RootDescription;
import dev.modelfleet.cli.trust.RootDraft;
import dev.modelfleet.cli.trust.RootSigner;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "trust",
    header = "Root metadata, key rotation, offline signing, the fleet CA.",
    description = {
      "The fleet's trust: root metadata (which keys sign what), rotation, drafts signed offline,",
      "the fleet CA (docs/security.md)."
    },
    subcommands = {
      TrustCommand.Show.class,
      TrustCommand.RootPem.class,
      TrustCommand.FleetCa.class,
      TrustCommand.Rotate.class,
      TrustCommand.Draft.class,
      TrustSignCommand.class,
      TrustCommand.Submit.class,
      TrustCommand.Keygen.class,
      TrustCommand.Pubkey.class
    },
    footerHeading = "%nOffline root rotation:%n",
    footer = {
      "  modelfleet trust keygen root-2026.key                 # on the offline machine",
      "  modelfleet trust draft create --root-key root-2026.pub.pem",
      "  modelfleet trust draft get -o json > draft.json       # carry it over",
      "  modelfleet trust sign --key root-2026.key --draft draft.json > signature.json",
      "  modelfleet trust submit signature.json                # publishes at the threshold"
    })
public final class TrustCommand extends Group {

  @Command(
      name = "show",
      aliases = "root",
      description = "The current root metadata: version, expiry, keys, roles, history.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet trust show",
        "  modelfleet trust show -o json > root-v3.json   # keep it for --previous"
      })
  static final class Show extends SessionCommand {
    @Override
    protected int run() {
      JsonNode root = api().get(ApiPath.api("trust", "root"));
      print(
          root,
          out -> {
            Describe d =
                new Describe(out)
                    .field("Version", root, "version")
                    .field("Expires", root, "expiresAt")
                    .field("Renew after", root, "renewAfter")
                    .field(
                        "Root key",
                        root.path("rootKeyOnline").asBoolean()
                            ? "online (this server holds it)"
                            : "offline");
            for (JsonNode warning : root.path("warnings")) {
              d.field("Warning", Text.cell(warning));
            }
            d.section("Roles")
                .table(
                    root.path("roles"),
                    List.of(
                        Column.of("ROLE", "role"),
                        Column.of("THRESHOLD", "threshold"),
                        Column.of("KEYS", "keyIds")));
            d.section("Keys")
                .table(
                    root.path("keys"),
                    List.of(Column.of("KEY ID", "keyId"), Column.of("ALGORITHM", "algorithm")));
            d.section("History")
                .table(
                    root.path("history"),
                    List.of(
                        Column.of("VERSION", "version"),
                        Column.of("EXPIRES", "expiresAt"),
                        Column.of("SIGNED BY", "signedBy")));
          });
      return 0;
    }
  }

  @Command(
      name = "root-pem",
      description = "The root public key(s) new agents are configured with (root-key).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet trust root-pem > root.pub.pem")
  static final class RootPem extends SessionCommand {
    @Override
    protected int run() {
      out().print(api().text(ApiPath.api("trust", "root.pem")));
      return 0;
    }
  }

  @Command(
      name = "fleet-ca",
      description = "The fleet CA certificate agents trust for the agent port (server-ca).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet trust fleet-ca > fleet-ca.pem")
  static final class FleetCa extends SessionCommand {
    @Override
    protected int run() {
      out().print(api().text(ApiPath.api("trust", "fleet-ca.pem")));
      return 0;
    }
  }

  /** {@code rotate}, {@code thresholds}, {@code expiresInDays} of a rotation or draft. */
  static final class RotationOptions {
    @Option(
        names = "--rotate",
        split = ",",
        paramLabel = "ROLE",
        description = "Roles that get a fresh key: root, targets, director.")
    List<String> rotate;

    @Option(
        names = "--threshold",
        paramLabel = "ROLE=N",
        description = "A role's new threshold (repeatable).")
    Map<String, Integer> thresholds = new LinkedHashMap<>();

    @Option(names = "--expires-in-days", description = "Lifetime of the new version, 1 to 3650.")
    Integer expiresInDays;

    ObjectNode body() {
      ObjectNode body = Formats.JSON.createObjectNode();
      if (rotate != null) {
        body.set("rotate", Formats.JSON.valueToTree(rotate));
      }
      if (!thresholds.isEmpty()) {
        body.set("thresholds", Formats.JSON.valueToTree(thresholds));
      }
      if (expiresInDays != null) {
        body.put("expiresInDays", expiresInDays);
      }
      return body;
    }
  }

  @Command(
      name = "rotate",
      description = {
        "Publish the next root version at once, signed by the root key(s) this server holds",
        "(admin). A server without its root key refuses: make a draft and sign it offline."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet trust rotate --rotate targets",
        "  modelfleet trust rotate --threshold root=2 --expires-in-days 365"
      })
  static final class Rotate extends SessionCommand {
    @Mixin RotationOptions options = new RotationOptions();

    @Override
    protected int run() {
      JsonNode published = api().post(ApiPath.api("trust", "root", "rotate"), options.body());
      print(published, out -> describeDraft(out, published));
      return 0;
    }
  }

  static void describeDraft(PrintStream out, JsonNode draft) {
    new Describe(out)
        .field("Version", draft, "version")
        .field("Published", draft.path("published").asBoolean() ? "yes" : "no (a draft)")
        .field("Expires", draft, "expiresAt")
        .field("Payload sha256", draft, "payloadSha256")
        .field("Previous root", signatures(draft.path("previousRoot")))
        .field("New root", signatures(draft.path("newRoot")));
  }

  private static String signatures(JsonNode root) {
    if (!root.isObject()) {
      return "";
    }
    return root.path("signedBy").size()
        + " signature(s) of "
        + root.path("threshold").asInt()
        + " needed, keys "
        + Text.cell(root.path("keyIds"))
        + (root.path("signedBy").size() > 0
            ? "; signed by " + Text.cell(root.path("signedBy"))
            : "");
  }

  @Command(
      name = "draft",
      description = "The draft of the next root version, for signing offline.",
      subcommands = {DraftCreate.class, DraftGet.class, DraftDelete.class},
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet trust draft create --root-key new-root.pub.pem --threshold root=1",
        "  modelfleet trust draft get",
        "  modelfleet trust draft get -o json > draft.json"
      })
  static final class Draft extends Group {}

  @Command(
      name = "create",
      description = {
        "Make (or replace) the draft of the next root version (admin). Any root key the server",
        "still holds signs it at once; the others sign it offline (trust sign)."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet trust draft create --root-key new-root.pub.pem",
        "  modelfleet trust draft create --rotate targets --threshold root=2"
      })
  static final class DraftCreate extends SessionCommand {
    @Mixin RotationOptions options = new RotationOptions();

    @Option(
        names = "--root-key",
        paramLabel = "PEM_FILE",
        description = "A public key (PEM) that becomes a root key (repeatable).")
    List<Path> rootKeys;

    @Override
    protected int run() {
      ObjectNode body = options.body();
      if (rootKeys != null) {
        List<String> pems = new ArrayList<>();
        for (Path file : rootKeys) {
          pems.add(ConnectionResolver.readCa(file, "root key"));
        }
        body.set("rootKeys", Formats.JSON.valueToTree(pems));
      }
      JsonNode draft = api().post(ApiPath.api("trust", "root", "drafts"), body);
      print(
          draft,
          out -> {
            describeDraft(out, draft);
            if (!draft.path("published").asBoolean()) {
              out.println(
                  "next: modelfleet trust draft get -o json > draft.json, then sign it where the"
                      + " root key is (modelfleet trust sign --key KEY --draft draft.json)");
            }
          });
      return 0;
    }
  }

  @Command(
      name = "get",
      description = {
        "The draft, decoded here from its payload (what a signature would vouch for), with the",
        "server's count of signatures. -o json gives the server's JSON, for trust sign --draft."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet trust draft get --previous root-v3.json",
        "  modelfleet trust draft get -o json > draft.json"
      })
  static final class DraftGet extends SessionCommand {
    @Option(
        names = "--previous",
        paramLabel = "FILE",
        description = "The previous version (a kept draft or trust show -o json) to compare.")
    Path previous;

    @Override
    protected int run() {
      JsonNode json = draft(this);
      print(
          json,
          out -> {
            RootDraft draft = RootDraft.fromJson(json);
            RootMetadata before =
                previous != null
                    ? previousFrom(previous)
                    : RootDraft.previousFromJson(
                        api().get(ApiPath.api("trust", "root")), "the server's current root");
            out.print(RootDescription.describe(draft, before, null, session().clock().instant()));
            describeDraft(out, json);
          });
      return 0;
    }
  }

  @Command(
      name = "delete",
      description = "Discard the draft (admin).",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet trust draft delete"})
  static final class DraftDelete extends SessionCommand {
    @Override
    protected int run() {
      api().delete(ApiPath.api("trust", "root", "draft"));
      if (!format().structured()) {
        out().println("root draft discarded");
      }
      return 0;
    }
  }

  /** The server's draft; "none" says how to make one. */
  static JsonNode draft(SessionCommand command) {
    return command
        .api()
        .find(ApiPath.api("trust", "root", "draft"))
        .orElseThrow(
            () ->
                new CliException(
                    ExitCode.NOT_FOUND,
                    "there is no root draft",
                    "make one: modelfleet trust draft create (--root-key PEM_FILE, --rotate ROLE,"
                        + " --threshold ROLE=N)"));
  }

  static RootMetadata previousFrom(Path file) {
    return RootDraft.previousFromJson(
        Documents.readObject(
            file.toString(),
            InputStream.nullInputStream(),
            "previous root",
            "pass a draft JSON kept from the last signing, or modelfleet trust show -o json"),
        file.toString());
  }

  @Command(
      name = "submit",
      description = "Upload a signature made offline (trust sign --draft) to the draft (admin).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet trust submit signature.json")
  static final class Submit extends SessionCommand {
    @Parameters(
        paramLabel = "SIGNATURE_FILE",
        description = "The JSON trust sign wrote ('-': stdin).")
    String file;

    @Override
    protected int run() {
      JsonNode signature =
          Documents.readObject(
              file, session().in(), "signature", "pass the JSON trust sign --draft wrote");
      JsonNode result = api().post(ApiPath.api("trust", "root", "draft", "signatures"), signature);
      print(
          result,
          out -> {
            out.println(
                result.path("published").asBoolean()
                    ? "root version " + Text.cell(result.path("version")) + " published"
                    : "signature counted; more are needed");
            describeDraft(out, result);
          });
      return 0;
    }
  }

  @Command(
      name = "keygen",
      description = {
        "Make a new Ed25519 key (PKCS#8 PEM, owner-only) for an offline root; prints its key id",
        "and writes its public key next to it (FILE.pub.pem) for trust draft create --root-key."
      },
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet trust keygen root-2026.key")
  static final class Keygen extends SessionCommand {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    protected int run() throws IOException {
      RootSigner.Key key = RootSigner.generate(file);
      Path pub = publicFile(file);
      Files.writeString(pub, RootSigner.pem("PUBLIC KEY", key.publicKey()));
      out().println("key id " + key.keyId());
      out().println("private key: " + file + " (keep it offline)");
      out().println("public key:  " + pub);
      return 0;
    }

    private static Path publicFile(Path file) {
      String name = file.getFileName().toString();
      String base = name.endsWith(".key") ? name.substring(0, name.length() - 4) : name;
      return file.resolveSibling(base + ".pub.pem");
    }
  }

  @Command(
      name = "pubkey",
      description = "The public key (PEM) and key id of a key file.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet trust pubkey root-2026.key"})
  static final class Pubkey extends SessionCommand {
    @Parameters(paramLabel = "KEY_FILE")
    Path file;

    @Override
    protected int run() {
      RootSigner.Key key = RootSigner.read(file);
      err().println("key id " + key.keyId());
      out().print(RootSigner.pem("PUBLIC KEY", key.publicKey()));
      return 0;
    }
  }
}
