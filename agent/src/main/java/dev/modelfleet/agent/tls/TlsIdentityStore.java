package dev.modelfleet.agent.tls;

import dev.modelfleet.agent.state.SecureFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps the TLS key and certificate in one owner-only file, {@code tls.pem} in the state directory.
 * One file, written atomically, so a renewal that is cut short leaves the old pair or the new one,
 * never a key without its certificate.
 */
public final class TlsIdentityStore {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private final Path file;

  public TlsIdentityStore(Path stateDir) {
    this.file = stateDir.resolve("tls.pem");
  }

  public boolean exists() {
    return Files.exists(file);
  }

  public void save(TlsIdentity identity) throws IOException {
    try {
      String pem =
          pem("PRIVATE KEY", identity.key().getEncoded())
              + pem("CERTIFICATE", identity.certificate().getEncoded());
      SecureFiles.writeAtomically(file, pem.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot encode the TLS certificate", e);
    }
  }

  public TlsIdentity load() throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    try {
      PrivateKey key = null;
      X509Certificate certificate = null;
      Matcher m = BLOCK.matcher(text);
      while (m.find()) {
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        switch (m.group(1)) {
          case "PRIVATE KEY" ->
              key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
          case "CERTIFICATE" -> certificate = certificate(der);
          default -> {}
        }
      }
      if (key == null || certificate == null) {
        throw new IOException(file + " lacks its key or certificate");
      }
      return new TlsIdentity(key, certificate);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(
          file
              + " is damaged ("
              + e.getMessage()
              + "); the device must be"
              + " enrolled again with a fresh state directory",
          e);
    }
  }

  public static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  /** Every certificate in a PEM file (the fleet CA an operator configured as server-ca). */
  public static List<X509Certificate> readCertificates(Path pem) throws IOException {
    try (var in = Files.newInputStream(pem)) {
      List<X509Certificate> certificates = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certificates.add((X509Certificate) c);
      }
      if (certificates.isEmpty()) {
        throw new IOException("no certificate in " + pem);
      }
      return certificates;
    } catch (GeneralSecurityException e) {
      throw new IOException(pem + " is not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
