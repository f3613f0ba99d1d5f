package dev.modelfleet.server.signing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline signing tool as an operator on an air-gapped machine runs it, against drafts a
 * compromised server could hand out: it signs root metadata only, only the version the payload
 * really holds, and only after showing what it signs. Nothing here needs a server: the drafts are
 * built the way {@link RootRotation} builds them, and signatures are checked with the server's own
 * verifier.
 */
class SignRootToolTest {

  static final long EXPIRES = Instant.parse("2031-01-02T03:04:05Z").toEpochMilli();

  @TempDir Path offline;
  Path rootKeyFile;
  PublicKey rootKey;
  final PublicKey targets = RootRoles.publicKey(Ed25519Keys.generate());
  final PublicKey director = RootRoles.publicKey(Ed25519Keys.generate());
  final PublicKey secondRoot = RootRoles.publicKey(Ed25519Keys.generate());

  @BeforeEach
  void offlineRootKey() throws Exception {
    rootKeyFile = offline.resolve("root.key");
    rootKey =
        RootRoles.publicKey(
            Ed25519Keys.parsePublicKeyPem(SignRootTool.ok("keygen", rootKeyFile.toString())));
  }

  RootMetadata root(long version, List<PublicKey> rootKeys, int rootThreshold) {
    RootMetadata.Builder metadata =
        RootMetadata.newBuilder().setVersion(version).setExpiresAtMs(EXPIRES);
    RootRoles.setRole(metadata, Dsse.ROLE_ROOT, rootKeys, rootThreshold);
    RootRoles.setRole(metadata, Dsse.ROLE_TARGETS, List.of(targets), 1);
    RootRoles.setRole(metadata, Dsse.ROLE_DIRECTOR, List.of(director), 1);
    return metadata.build();
  }

  /** The JSON of GET /api/v1/trust/root/draft, with the version and type it claims. */
  Path draft(String name, long claimedVersion, String payloadType, byte[] payload)
      throws Exception {
    Path file = offline.resolve(name);
    Files.writeString(
        file,
        "{\"version\": "
            + claimedVersion
            + ", \"payloadType\": \""
            + payloadType
            + "\", \"payloadBase64\": \""
            + Base64.getEncoder().encodeToString(payload)
            + "\", \"payloadSha256\": \""
            + Dsse.sha256Hex(payload)
            + "\", \"keys\": [], \"roles\": [],"
            + " \"previousRoot\": {\"keyIds\": [], \"threshold\": 1, \"signedBy\": []},"
            + " \"newRoot\": {\"keyIds\": [], \"threshold\": 1, \"signedBy\": []},"
            + " \"published\": false}");
    return file;
  }

  Path draft(String name, RootMetadata metadata) throws Exception {
    return draft(name, metadata.getVersion(), Dsse.ROOT_METADATA_TYPE, metadata.toByteArray());
  }

  static void assertRefused(SignRootTool.Run run, String why) {
    assertEquals(1, run.exitCode(), run.err());
    assertEquals("", run.out(), "no signature is printed");
    assertThat(run.err(), containsString("refused, nothing was signed"));
    assertThat(run.err(), containsString(why));
  }

  @Test
  void aPayloadOfAnotherTypeIsRefused() throws Exception {
    byte[] desiredState =
        DesiredState.newBuilder().setDeviceId("dev-1").setGeneration(4).build().toByteArray();
    for (String type : List.of(Dsse.DESIRED_STATE_TYPE, Dsse.VARIANT_MANIFEST_TYPE)) {
      Path file = draft("other-type.json", 4, type, desiredState);
      assertRefused(
          SignRootTool.run(
              "4\n", "sign", rootKeyFile.toString(), file.toString(), "--expect-version", "4"),
          "a root key signs root metadata only");
    }
    // the root payload itself, relabelled: a signature over it would pass as that document
    Path relabelled =
        draft(
            "relabelled.json",
            2,
            Dsse.DESIRED_STATE_TYPE,
            root(2, List.of(rootKey), 1).toByteArray());
    assertRefused(
        SignRootTool.run("2\n", "sign", rootKeyFile.toString(), relabelled.toString()),
        "not root metadata");
  }

  @Test
  void aDraftWhoseVersionClaimThePayloadDoesNotBackIsRefused() throws Exception {
    Path lying =
        draft("lying.json", 5, Dsse.ROOT_METADATA_TYPE, root(9, List.of(rootKey), 1).toByteArray());
    assertRefused(
        SignRootTool.run(
            "", "sign", rootKeyFile.toString(), lying.toString(), "--expect-version", "5"),
        "claims version 5 but its payload is root metadata version 9");
    assertRefused(
        SignRootTool.run("9\n", "sign", rootKeyFile.toString(), lying.toString()),
        "claims version 5");
  }

  @Test
  void aGenuineDraftIsShownInFullThenSignedOverWhatAgentsVerify() throws Exception {
    RootMetadata metadata = root(7, List.of(rootKey, secondRoot), 2);
    Path file = draft("draft.json", metadata);

    SignRootTool.Run run =
        SignRootTool.run(
            "", "sign", rootKeyFile.toString(), file.toString(), "--expect-version", "7");

    assertEquals(0, run.exitCode(), run.err());
    String shown = run.err();
    assertThat(shown, containsString("Root metadata version 7"));
    assertThat(shown, containsString("expires   2031-01-02T03:04:05Z"));
    assertThat(shown, containsString("role root      threshold 2 of 2 key(s)"));
    assertThat(shown, containsString("role targets   threshold 1 of 1 key(s)"));
    assertThat(shown, containsString("role director  threshold 1 of 1 key(s)"));
    assertThat(
        shown, containsString(rootKey.getKeyId() + "  ed25519  <- the key you are signing with"));
    for (PublicKey key : List.of(secondRoot, targets, director)) {
      assertThat(shown, containsString("    " + key.getKeyId() + "  ed25519\n"));
    }
    assertThat(shown, containsString(Dsse.sha256Hex(metadata.toByteArray())));

    JsonPath signature = JsonPath.from(run.out());
    assertEquals(7, signature.getInt("version"));
    assertEquals(rootKey.getKeyId(), signature.getString("keyId"));
    assertTrue(
        Envelopes.verifies(
            rootKey,
            Dsse.preAuthEncoding(Dsse.ROOT_METADATA_TYPE, metadata.toByteArray()),
            Base64.getDecoder().decode(signature.getString("signature"))),
        "the signature covers the DSSE encoding of the root payload");
  }

  @Test
  void nothingIsSignedWithoutTheOperatorConfirmingTheVersion() throws Exception {
    Path file = draft("draft.json", root(3, List.of(rootKey), 1));
    assertRefused(
        SignRootTool.run("", "sign", rootKeyFile.toString(), file.toString()), "not confirmed");
    assertRefused(
        SignRootTool.run("yes\n", "sign", rootKeyFile.toString(), file.toString()),
        "not confirmed");
    assertRefused(
        SignRootTool.run(
            "", "sign", rootKeyFile.toString(), file.toString(), "--expect-version", "4"),
        "--expect-version 4 but the draft's payload is version 3");

    SignRootTool.Run typed =
        SignRootTool.run("3\n", "sign", rootKeyFile.toString(), file.toString());
    assertEquals(0, typed.exitCode(), typed.err());
    assertThat(typed.err(), containsString("Type the version number to sign"));
    assertEquals(3, JsonPath.from(typed.out()).getInt("version"));
  }

  @Test
  void withThePreviousVersionTheToolShowsWhatChangedAndRefusesAKeyOfNeither() throws Exception {
    Path previous = draft("previous.json", root(3, List.of(rootKey), 1));
    // what a compromised server would ask for: its own root key beside (or instead of) ours
    PublicKey serversOwn = RootRoles.publicKey(Ed25519Keys.generate());
    Path next = draft("next.json", root(4, List.of(serversOwn), 1));

    SignRootTool.Run shown =
        SignRootTool.run("", "show", next.toString(), "--previous", previous.toString());
    assertEquals(0, shown.exitCode(), shown.err());
    assertThat(shown.err(), containsString("root: key ADDED    " + serversOwn.getKeyId()));
    assertThat(shown.err(), containsString("root: key REMOVED  " + rootKey.getKeyId()));
    assertThat(shown.err(), containsString(serversOwn.getKeyId() + "  ed25519  NEW"));
    assertThat(shown.err(), not(containsString("targets: key")));

    Path stranger = offline.resolve("stranger.key");
    SignRootTool.ok("keygen", stranger.toString());
    assertRefused(
        SignRootTool.run(
            "",
            "sign",
            stranger.toString(),
            next.toString(),
            "--previous",
            previous.toString(),
            "--expect-version",
            "4"),
        "a root key of neither");
    Path skipping = draft("skipping.json", root(6, List.of(rootKey), 1));
    assertRefused(
        SignRootTool.run(
            "",
            "sign",
            rootKeyFile.toString(),
            skipping.toString(),
            "--previous",
            previous.toString(),
            "--expect-version",
            "6"),
        "follows the one before it by exactly one");
  }

  @Test
  void aPayloadTheToolCannotShowUnambiguouslyIsRefused() throws Exception {
    byte[] genuine = root(2, List.of(rootKey), 1).toByteArray();
    // a field this tool does not know (number 9): it would be signed unseen
    byte[] unknownField = concat(genuine, new byte[] {(byte) (9 << 3), 1});
    // version given twice: agents read the last one, the screen might show the first
    byte[] twice = concat(genuine, new byte[] {1 << 3, 3});
    // a key listed under an id that is not its hash
    RootMetadata aliased =
        root(2, List.of(rootKey), 1).toBuilder()
            .setKeys(
                0,
                rootKey.toBuilder()
                    .setPublicKey(
                        ByteString.copyFrom(
                            Ed25519Keys.spki(Ed25519Keys.generate().generatePublicKey()))))
            .build();
    // a length that runs past the end
    byte[] truncated = java.util.Arrays.copyOf(genuine, genuine.length - 3);
    record Case(String name, byte[] payload, String why) {}
    for (Case c :
        List.of(
            new Case("unknown", unknownField, "field 9 (wire type 0) of RootMetadata is unknown"),
            new Case("twice", twice, "RootMetadata.version appears twice"),
            new Case("aliased", aliased.toByteArray(), "is not the sha256 of its public key"),
            new Case("truncated", truncated, "RootMetadata is malformed"))) {
      Path file = draft(c.name() + ".json", 2, Dsse.ROOT_METADATA_TYPE, c.payload());
      assertRefused(
          SignRootTool.run(
              "", "sign", rootKeyFile.toString(), file.toString(), "--expect-version", "2"),
          c.why());
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
