package dev.modelfleet.server.pki;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM armour for the CA's files (RFC 7468), small enough not to need a parser library. */
final class Pem {

  private Pem() {}

  static String encode(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** The DER of the first block of that type in {@code pem}. */
  static byte[] decode(String type, byte[] pem) {
    String text = new String(pem, StandardCharsets.US_ASCII);
    Matcher m = Pattern.compile(
            "-----BEGIN " + type + "-----([A-Za-z0-9+/=\\s]+)-----END " + type + "-----")
        .matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("no " + type + " block");
    }
    return Base64.getMimeDecoder().decode(m.group(1));
  }
}
