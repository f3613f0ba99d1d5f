package dev.modelfleet.e2e.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RunningFleet;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin port behind TLS, set up as docs/operations.md ("TLS on the admin port") says: a
 * certificate for the names operators dial, in a PKCS#12 file. The command line logs in over https
 * with --ca (the certificate to trust) and works; without it, it refuses the server.
 */
class CliOverHttpsTest {

  private static final Path TLS = SelfSignedAdminCertificate.create();
  private static final int HTTPS_PORT = Ports.free();

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(
          Map.of(
              "QUARKUS_HTTP_SSL_PORT",
              String.valueOf(HTTPS_PORT),
              "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_STORE_FILE",
              TLS.resolve("admin.p12").toString(),
              "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_STORE_PASSWORD",
              SelfSignedAdminCertificate.PASSWORD));

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
}
