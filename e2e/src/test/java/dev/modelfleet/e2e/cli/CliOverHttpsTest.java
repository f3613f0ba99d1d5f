package dev.modelfleet.e2e.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RunningFleet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin port behind TLS, set up as docs/operations.md ("TLS on the admin port") says: a
 * certificate for the names operators dial, in a PKCS#12 file. The command line logs in over https
 * with --ca (the certificate to trust) and works; without it, it refuses the server.
 */
class CliOverHttpsTest {

  private static final String PASSWORD = "e2e-https-store";
  private static final Path TLS = tlsDirectory();
  private static final int HTTPS_PORT = Ports.free();

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(
          Map.of(
              "QUARKUS_HTTP_SSL_PORT", String.valueOf(HTTPS_PORT),
              "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_STORE_FILE", TLS.resolve("admin.p12").toString(),
              "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_STORE_PASSWORD", PASSWORD));

  @TempDir Path work;

  @Test
  void theCommandLineWorksOverHttpsWithTheCertificateItIsTold() {
    String https = "https://localhost:" + HTTPS_PORT;
    CliProcess cli = new CliProcess(work.resolve("config.yaml"));
    CliProcess.Result refused =
        cli.runWithInput(
            running.server().adminToken() + "\n", "login", "--server", https, "--token", "-");
    assertNotEquals(0, refused.exit(), "a certificate nobody said to trust: " + refused);

    CliProcess.Result login =
        cli.runWithInput(
            running.server().adminToken() + "\n",
            "login",
            "--server",
            https,
            "--token",
            "-",
            "--ca",
            TLS.resolve("admin.pem").toString());
    assertEquals(0, login.exit(), login.toString());
    CliProcess.Result devices = cli.run("devices", "list", "-o", "json");
    assertEquals(0, devices.exit(), devices.toString());
    assertTrue(devices.out().trim().startsWith("["), devices.toString());
  }

  /** A self-signed certificate for localhost and 127.0.0.1, made with the JDK's keytool. */
  private static Path tlsDirectory() {
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
