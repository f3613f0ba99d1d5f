package dev.modelfleet.agent.trust;

import dev.modelfleet.protocol.Dsse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The root keys this device is configured with, and how many of them must sign the first root
 * version it trusts: what a TUF client's shipped {@code root.json} is to it. One key is the classic
 * pin. With several, the threshold is what stops one stolen pinned key from vouching alone for a
 * root of the thief's making, as the fleet's own root threshold would.
 *
 * <p>The file is PEM: one "PUBLIC KEY" block (SPKI DER) per key, and, outside the blocks, an
 * optional line {@code root-threshold: N} (default: every key in the file). Other text outside the
 * blocks is ignored (RFC 7468's explanatory text), so an agent that reads only the first block
 * still reads such a file.
 */
public record RootPin(List<byte[]> keys, int threshold) {

  static final String THRESHOLD = "root-threshold";
  private static final Pattern THRESHOLD_LINE =
      Pattern.compile(
          "^[ \\t]*" + THRESHOLD + "[ \\t]*:[ \\t]*(\\S*)[ \\t]*\\r?$", Pattern.MULTILINE);
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]*)-----END PUBLIC KEY-----");

  public RootPin {
    keys = keys.stream().map(byte[]::clone).toList();
    if (keys.isEmpty() || threshold < 1 || threshold > keys.size()) {
      throw new IllegalArgumentException(
          "a pin needs a root key and a threshold from 1 to the" + " number of its keys");
    }
  }

  /** The classic pin: one root key, which alone signs the first trusted version. */
  public static RootPin of(byte[] subjectPublicKeyInfo) {
    return new RootPin(List.of(subjectPublicKeyInfo), 1);
  }

  /** Reads a pin file: every "PUBLIC KEY" block, and the threshold line if there is one. */
  public static RootPin read(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
  }

  static RootPin parse(String text, String source) throws IOException {
    List<byte[]> keys = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    Matcher block = BLOCK.matcher(text);
    while (block.find()) {
      byte[] key = decode(block.group(1), source, keys.size() + 1);
      if (!ids.add(Dsse.keyId(key))) {
        throw new IOException(source + " holds root key " + Dsse.keyId(key) + " twice");
      }
      keys.add(key);
    }
    if (keys.isEmpty()) {
      throw new IOException(
          source
              + " is not a PEM public key (expected -----BEGIN PUBLIC KEY-----"
              + "); use the file from GET /api/v1/trust/root.pem");
    }
    Matcher line = THRESHOLD_LINE.matcher(BLOCK.matcher(text).replaceAll(""));
    String threshold = line.find() ? line.group(1) : null;
    if (threshold != null && line.find()) {
      throw new IOException(source + " has two '" + THRESHOLD + "' lines; keep one");
    }
    return new RootPin(keys, threshold(threshold, keys.size(), source));
  }

  private static byte[] decode(String base64, String source, int ordinal) throws IOException {
    try {
      byte[] der = Base64.getMimeDecoder().decode(base64.trim());
      Ed25519.publicKey(der);
      return der;
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new IOException(
          source
              + ": key "
              + ordinal
              + " is not a valid Ed25519 public key ("
              + e.getMessage()
              + "); use the file from GET /api/v1/trust/root.pem",
          e);
    }
  }

  private static int threshold(String value, int keys, String source) throws IOException {
    if (value == null) {
      return keys;
    }
    try {
      int threshold = Integer.parseInt(value);
      if (threshold >= 1 && threshold <= keys) {
        return threshold;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IOException(
        source
            + ": '"
            + THRESHOLD
            + ": "
            + value
            + "' must be a number from 1"
            + " to "
            + keys
            + " (the root keys in the file)");
  }

  /** The pin file's text: what {@link #read} reads back. */
  public String toPem() {
    StringBuilder out = new StringBuilder();
    if (keys.size() > 1) {
      out.append(THRESHOLD).append(": ").append(threshold).append('\n');
    }
    keys.forEach(key -> out.append(Ed25519.toPem(key)));
    return out.toString();
  }

  public Set<String> keyIds() {
    Set<String> ids = new HashSet<>();
    keys.forEach(key -> ids.add(Dsse.keyId(key)));
    return ids;
  }

  Map<String, PublicKey> publicKeys() throws VerificationException {
    Map<String, PublicKey> byId = new HashMap<>();
    for (byte[] key : keys) {
      try {
        byId.put(Dsse.keyId(key), Ed25519.publicKey(key));
      } catch (GeneralSecurityException e) {
        throw new VerificationException("root-key-invalid", "a pinned root key is not Ed25519", e);
      }
    }
    return byId;
  }
}
