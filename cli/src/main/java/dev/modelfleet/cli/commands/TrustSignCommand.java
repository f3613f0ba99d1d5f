package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.OutputFormat;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.trust.RootDescription;
import dev.modelfleet.cli.trust.RootDraft;
import dev.modelfleet.cli.trust.RootSigner;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code trust sign}: a root draft decoded, shown, confirmed and signed. */
@Command(
    name = "sign",
    description = {
      "Sign a root draft with a root key, after showing what the signature vouches for",
      "(decoded here: the server is not trusted) and after you confirm its version (typed at",
      "the prompt, or --expect-version). With --draft FILE it works offline: no server is",
      "asked and the signature JSON goes to standard output (for trust submit). Without,",
      "it fetches the draft and the current root from the server and uploads the signature."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet trust sign --key root.key --draft draft.json --previous root-v3.json \\",
      "      > signature.json                                  # offline",
      "  modelfleet trust sign --key root.key --expect-version 4   # online, uploads"
    })
final class TrustSignCommand extends SessionCommand {
  @Option(
      names = "--key",
      required = true,
      paramLabel = "KEY_FILE",
      description = "PKCS#8 PEM Ed25519 root key.")
  Path key;

  @Option(names = "--draft", paramLabel = "FILE", description = "The draft JSON (offline).")
  Path draftFile;

  @Option(
      names = "--previous",
      paramLabel = "FILE",
      description = "The previous version (a kept draft, or trust show -o json).")
  Path previous;

  @Option(names = "--expect-version", paramLabel = "N", description = "Confirm without a prompt.")
  String expectVersion;

  @Override
  protected int run() throws IOException {
    RootSigner.Key signer = RootSigner.read(key);
    boolean offline = draftFile != null;
    JsonNode json =
        offline
            ? Documents.readObject(
                draftFile.toString(),
                session().in(),
                "draft",
                "pass the JSON of trust draft get -o json")
            : TrustCommand.draft(this);
    RootDraft draft = RootDraft.fromJson(json);
    RootMetadata before;
    if (previous != null) {
      before = TrustCommand.previousFrom(previous);
    } else if (!offline) {
      before =
          RootDraft.previousFromJson(
              api().get(ApiPath.api("trust", "root")), "the server's current root");
      err()
          .println(
              "(previous version as the server reports it; --previous FILE compares with a copy you kept)");
    } else {
      before = null;
    }
    err()
        .print(
            RootDescription.describe(draft, before, signer.keyId(), session().clock().instant()));
    RootSigner.requireRootKey(draft, before, signer.keyId());
    confirmVersion(draft.root().getVersion());
    ObjectNode signature = RootSigner.sign(signer, draft);
    if (offline) {
      Formats.write(OutputFormat.JSON, signature, out());
      return 0;
    }
    JsonNode result = api().post(ApiPath.api("trust", "root", "draft", "signatures"), signature);
    print(
        result,
        out -> {
          out.println(
              result.path("published").asBoolean()
                  ? "root version " + Text.cell(result.path("version")) + " published"
                  : "signature counted; root version "
                      + Text.cell(result.path("version"))
                      + " needs more before it is published");
          TrustCommand.describeDraft(out, result);
        });
    return 0;
  }

  private void confirmVersion(long version) throws IOException {
    if (expectVersion != null) {
      if (!expectVersion.trim().equals(Long.toString(version))) {
        throw new CliException(
            ExitCode.REFUSED,
            "refused, nothing was signed: --expect-version "
                + Text.printable(expectVersion)
                + " but the draft's payload is version "
                + version,
            "check the draft you were given");
      }
      return;
    }
    if (!session().terminal().interactive()) {
      throw CliException.usage(
          "not confirmed (no terminal to ask at); nothing was signed",
          "pass --expect-version " + version + " after checking the description above");
    }
    err()
        .print(
            "Sign root metadata version "
                + version
                + " as shown above? Type the version number to sign, anything else to stop: ");
    err().flush();
    String typed =
        new BufferedReader(new InputStreamReader(session().in(), StandardCharsets.UTF_8))
            .readLine();
    if (typed == null || !typed.trim().equals(Long.toString(version))) {
      throw new CliException(ExitCode.REFUSED, "not confirmed; nothing was signed", null);
    }
  }
}
