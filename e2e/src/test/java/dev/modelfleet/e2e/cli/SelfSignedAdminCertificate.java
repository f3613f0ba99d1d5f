package dev.modelfleet.e2e.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate for the admin port as operations.md ("TLS on the admin port") tells operators to
 * give one: admin.p12 (the server's, password {@link #PASSWORD}) and admin.pem (what clients
 * trust).
 */
final class SelfSignedAdminCertificate {

  static final String PASSWORD = "e2e-https-store";

  private SelfSignedAdminCertificate() {}

  /** A self-signed certificate for localhost and 127.0.0.1, made with the JDK's keytool. */
  static Path create() {
    try {
      Path dir = Files.createTempDirectory("modelfleet-admin-tls-");
      dir.toFile().deleteOnExit();
      String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
      String store = dir.resolve("admin.p12").toString();
      keytool(
          keytool,
          "-genkeypair",
          "-alias",
          "admin",
          "-keyalg",
          "EC",
          "-groupname",
          "secp256r1",
          "-dname",
          "CN=localhost",
          "-ext",
          "SAN=dns:localhost,ip:127.0.0.1",
          "-validity",
          "2",
          "-storetype",
          "PKCS12",
          "-keystore",
          store,
          "-storepass",
          PASSWORD);
      keytool(
          keytool,
          "-exportcert",
          "-rfc",
          "-alias",
          "admin",
          "-keystore",
          store,
          "-storepass",
          PASSWORD,
          "-file",
          dir.resolve("admin.pem").toString());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void keytool(String... command) throws IOException {
    Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException("keytool failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
