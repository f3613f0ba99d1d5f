package dev.modelfleet.e2e.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.e2e.RunningFleet;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving the fleet's root to a key kept offline, with the command line on both sides: the server
 * makes the draft, the operator carries its JSON to the key, the command line decodes and signs it
 * there (no server), and the signature published on the server makes the new root current. Its own
 * server: the root it leaves behind is not for other tests.
 */
class CliTrustEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final RunningFleet running = new RunningFleet();

  @TempDir Path work;

  private static JsonNode json(CliProcess.Result result) throws Exception {
    assertEquals(0, result.exit(), result.toString());
    return JSON.readTree(result.out());
  }

  @Test
  @Timeout(300)
  void aNewOfflineRootIsDraftedSignedOfflineAndPublished() throws Exception {
    CliProcess cli = new CliProcess(work.resolve("config.yaml"));
    assertEquals(
        0,
        cli.runWithInput(
                running.server().adminToken() + "\n",
                "login",
                "--server",
                running.server().baseUri().toString(),
                "--token",
                "-")
            .exit());
    JsonNode before = json(cli.run("trust", "show", "-o", "json"));
    long version = before.path("version").asLong() + 1;
    Files.writeString(work.resolve("previous.json"), before.toString());

    // on the offline machine: a new root key (no server, no context)
    CliProcess offline = new CliProcess(work.resolve("offline.yaml"));
    CliProcess.Result keygen =
        offline.run("trust", "keygen", work.resolve("root-new.key").toString());
    assertEquals(0, keygen.exit(), keygen.toString());
    String keyId = keygen.out().lines().findFirst().orElseThrow().substring("key id ".length());

    // on the server: a draft naming it the root key, signed at once by the root key it holds
    JsonNode draft =
        json(
            cli.run(
                "trust",
                "draft",
                "create",
                "--root-key",
                work.resolve("root-new.pub.pem").toString(),
                "-o",
                "json"));
    assertEquals(version, draft.path("version").asLong());
    assertEquals(false, draft.path("published").asBoolean());
    CliProcess.Result shown = cli.run("trust", "draft", "get");
    assertEquals(0, shown.exit(), shown.toString());
    assertTrue(shown.out().contains("root: key ADDED    " + keyId), shown.out());
    CliProcess.Result carried = cli.run("trust", "draft", "get", "-o", "json");
    Files.writeString(work.resolve("draft.json"), carried.out());

    // offline again: the draft decoded, shown, confirmed by its version, signed
    CliProcess.Result refused =
        offline.run(
            "trust",
            "sign",
            "--key",
            work.resolve("root-new.key").toString(),
            "--draft",
            work.resolve("draft.json").toString(),
            "--expect-version",
            Long.toString(version + 1));
    assertEquals(4, refused.exit(), refused.toString());
    assertEquals("", refused.out());
    CliProcess.Result signed =
        offline.run(
            "trust",
            "sign",
            "--key",
            work.resolve("root-new.key").toString(),
            "--draft",
            work.resolve("draft.json").toString(),
            "--previous",
            work.resolve("previous.json").toString(),
            "--expect-version",
            Long.toString(version));
    assertEquals(0, signed.exit(), signed.toString());
    assertTrue(
        signed.err().contains("=== Root metadata version " + version + " ==="), signed.err());
    assertTrue(
        signed.err().contains(keyId + "  ed25519  <- the key you are signing with  NEW"),
        signed.err());
    Files.writeString(work.resolve("signature.json"), signed.out());

    // back on the server: the signature meets the new root's threshold, the version is published
    CliProcess.Result submitted =
        cli.run("trust", "submit", work.resolve("signature.json").toString());
    assertEquals(0, submitted.exit(), submitted.toString());
    assertTrue(
        submitted.out().startsWith("root version " + version + " published"), submitted.out());
    JsonNode after = json(cli.run("trust", "show", "-o", "json"));
    assertEquals(version, after.path("version").asLong());
    assertEquals(false, after.path("rootKeyOnline").asBoolean());
    assertEquals(keyId, after.path("roles").findValue("keyIds").path(0).asText(), after.toString());
  }
}
