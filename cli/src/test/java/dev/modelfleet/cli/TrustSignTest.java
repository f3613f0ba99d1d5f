package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * trust keygen and trust sign offline: no server needed, the draft shown, the version confirmed.
 */
class TrustSignTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void aDraftIsSignedOfflineOnlyForTheVersionConfirmed() throws Exception {
    Cli cli = new Cli(dir.resolve("c.yaml"));
    Cli.Result keygen = cli.run("trust", "keygen", dir.resolve("root.key").toString());
    assertEquals(0, keygen.exit(), keygen.toString());
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("root.key"))));
    String keyId = keygen.out().lines().findFirst().orElseThrow().substring("key id ".length());
    String publicPem = Files.readString(dir.resolve("root.pub.pem"));
    byte[] spki = Base64.getMimeDecoder().decode(publicPem.replaceAll("-----[A-Z ]+-----", ""));
    assertEquals(
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki)), keyId);

    RootMetadata root =
        RootMetadata.newBuilder()
            .setVersion(2)
            .addKeys(
                PublicKey.newBuilder()
                    .setKeyId(keyId)
                    .setAlgorithm("ed25519")
                    .setPublicKey(ByteString.copyFrom(spki)))
            .addRoles(RoleKeys.newBuilder().setRole("root").addKeyIds(keyId).setThreshold(1))
            .addRoles(RoleKeys.newBuilder().setRole("targets").addKeyIds(keyId).setThreshold(1))
            .build();
    Path draft = dir.resolve("draft.json");
    Files.writeString(
        draft,
        "{\"version\": 2, \"payloadType\": \"application/vnd.modelfleet.root.v1+protobuf\","
            + " \"payloadBase64\": \""
            + Base64.getEncoder().encodeToString(root.toByteArray())
            + "\"}");

    Cli.Result wrong =
        cli.run(
            "trust",
            "sign",
            "--key",
            dir.resolve("root.key").toString(),
            "--draft",
            draft.toString(),
            "--expect-version",
            "3");
    assertEquals(ExitCode.REFUSED, wrong.exit(), wrong.toString());
    assertEquals("", wrong.out(), "nothing signed");
    assertTrue(
        wrong.err().contains("--expect-version 3 but the draft's payload is version 2"),
        wrong.err());

    Cli.Result unconfirmed =
        cli.run(
            "trust",
            "sign",
            "--key",
            dir.resolve("root.key").toString(),
            "--draft",
            draft.toString());
    assertEquals(ExitCode.USAGE, unconfirmed.exit(), "no terminal to ask at");
    assertEquals("", unconfirmed.out());

    Cli.Result signed =
        cli.run(
            "trust",
            "sign",
            "--key",
            dir.resolve("root.key").toString(),
            "--draft",
            draft.toString(),
            "--expect-version",
            "2");
    assertEquals(0, signed.exit(), signed.toString());
    assertTrue(signed.err().contains("=== Root metadata version 2 ==="), signed.err());
    assertTrue(
        signed.err().contains(keyId + "  ed25519  <- the key you are signing with"), signed.err());
    JsonNode signature = JSON.readTree(signed.out());
    assertEquals(2, signature.path("version").asInt());
    assertEquals(keyId, signature.path("keyId").asText());
    assertEquals(64, Base64.getDecoder().decode(signature.path("signature").asText()).length);
  }

  @Test
  void aKeyFileIsNeverOverwritten() throws Exception {
    Files.writeString(dir.resolve("root.key"), "precious");
    Cli.Result result =
        new Cli(dir.resolve("c.yaml")).run("trust", "keygen", dir.resolve("root.key").toString());
    assertEquals(ExitCode.USAGE, result.exit());
    assertEquals("precious", Files.readString(dir.resolve("root.key")));
  }
}
