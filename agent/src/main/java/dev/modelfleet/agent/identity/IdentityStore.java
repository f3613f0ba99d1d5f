package dev.modelfleet.agent.identity;

import dev.modelfleet.agent.state.JsonObject;
import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Keeps the device identity in the state directory, owner-only: {@code device.key} (PKCS#8 PEM),
 * {@code identity.json} (device id, credential, labels), {@code root-metadata.pb} (the signed root
 * metadata of enrollment), {@code root-chain.pb} (the root versions trusted since) and {@code
 * root.pem} (the pinned root keys it was checked against, see {@link RootPin}).
 */
public final class IdentityStore {

  record IdentityFile(
      String deviceId, String credential, String name, Map<String, String> labels) {}

  private final Path dir;

  public IdentityStore(Path dir) throws IOException {
    this.dir = SecureFiles.ownerOnlyDirectory(dir);
  }

  public boolean enrolled() {
    return Files.exists(dir.resolve("identity.json"));
  }

  /** The key pair made at first start, kept across failed enrollments so retries reuse it. */
  public KeyPair keyPair() throws IOException {
    Path keyFile = dir.resolve("device.key");
    try {
      if (Files.exists(keyFile)) {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        var privateKey = Ed25519.privateKey(Base64.getDecoder().decode(body));
        byte[] spki = Files.readAllBytes(dir.resolve("device.pub.der"));
        return new KeyPair(Ed25519.publicKey(spki), privateKey);
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(
          keyFile
              + " is damaged ("
              + e.getMessage()
              + "); the device must be"
              + " enrolled again with a fresh state directory",
          e);
    }
    KeyPair pair = Ed25519.generate();
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(pair.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    SecureFiles.writeAtomically(dir.resolve("device.pub.der"), pair.getPublic().getEncoded());
    SecureFiles.writeAtomically(keyFile, pem.getBytes(StandardCharsets.US_ASCII));
    return pair;
  }

  public void save(
      RootChain roots,
      String deviceId,
      String credential,
      String name,
      Map<String, String> labels,
      SignedEnvelope rootMetadata,
      RootPin pin)
      throws IOException {
    SecureFiles.writeAtomically(dir.resolve("root-metadata.pb"), rootMetadata.toByteArray());
    roots.persist();
    SecureFiles.writeAtomically(
        dir.resolve("root.pem"), pin.toPem().getBytes(StandardCharsets.US_ASCII));
    // Written last: its presence means "enrolled", so a crash before it means "enroll again".
    SecureFiles.writeAtomically(
        dir.resolve("identity.json"),
        JsonObject.write(
            false,
            g -> {
              // the names of the record Jackson's data binding wrote before
              g.writeStartObject();
              g.writeStringField("deviceId", deviceId);
              g.writeStringField("credential", credential);
              g.writeStringField("name", name);
              if (labels == null) {
                g.writeNullField("labels");
              } else {
                g.writeObjectFieldStart("labels");
                for (Map.Entry<String, String> label : labels.entrySet()) {
                  g.writeStringField(label.getKey(), label.getValue());
                }
                g.writeEndObject();
              }
              g.writeEndObject();
            }));
  }

  /** The root keys pinned at enrollment, for restarts without --root-key. */
  public Path pinnedRootKeyFile() {
    return dir.resolve("root.pem");
  }

  /**
   * Loads the identity and re-verifies the stored root metadata against the pin. The root's expiry
   * is not checked here: an expired root must not keep the device from connecting to receive a
   * renewed one (desired states are refused meanwhile, see DesiredStateVerifier).
   */
  public DeviceIdentity load(RootPin pin) throws IOException, VerificationException {
    JsonObject json = JsonObject.read(dir.resolve("identity.json"));
    IdentityFile file =
        new IdentityFile(
            json.string("deviceId"),
            json.string("credential"),
            json.string("name"),
            json.stringMap("labels"));
    KeyPair pair = keyPair();
    SignedEnvelope root =
        SignedEnvelope.parseFrom(Files.readAllBytes(dir.resolve("root-metadata.pb")));
    // The chain as last accepted (root updates included); an agent enrolled before chains were
    // kept has only the root metadata of its enrollment.
    List<SignedEnvelope> chain = RootChain.read(rootChainFile());
    RootChain roots =
        RootChain.walk(chain.isEmpty() ? List.of(root) : chain, pin, 0, rootChainFile());
    return new DeviceIdentity(
        file.deviceId(),
        file.credential(),
        file.name(),
        file.labels() == null ? Map.of() : file.labels(),
        pair.getPrivate(),
        pair.getPublic().getEncoded(),
        root,
        roots);
  }

  /** Every root metadata version trusted since the pinned one, oldest first. */
  public Path rootChainFile() {
    return dir.resolve(RootChain.CHAIN_FILE);
  }
}
