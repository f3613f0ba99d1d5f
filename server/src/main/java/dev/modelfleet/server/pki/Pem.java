package dev.modelfleet.server.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/** PEM armour for the CA's files (RFC 7468), through BouncyCastle's reader and writer. */
final class Pem {

  private Pem() {}

  static String encode(String type, byte[] der) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** The DER of the first block of that type in {@code pem} (the key file holds two). */
  static byte[] decode(String type, byte[] pem) {
    try (PemReader reader =
        new PemReader(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      for (PemObject block = reader.readPemObject();
          block != null;
          block = reader.readPemObject()) {
        if (block.getType().equals(type)) {
          return block.getContent();
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("not PEM: " + e.getMessage());
    }
    throw new IllegalArgumentException("no " + type + " block");
  }
}
