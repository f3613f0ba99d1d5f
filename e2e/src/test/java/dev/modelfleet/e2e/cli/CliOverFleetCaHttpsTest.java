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
 * The admin port's HTTPS certificate issued by the fleet CA (QUARKUS_HTTP_TLS_CONFIGURATION_NAME
 * =fleet-ca, docs/operations.md "TLS on the admin port"), no certificate files: the command line
 * logs in with --ca pointing at fleet-ca.pem from the key directory, by the names in the server's
 * default server-names (localhost and 127.0.0.1), and refuses the server without it.
 */
class CliOverFleetCaHttpsTest {

  private static final int HTTPS_PORT = Ports.free();

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(
          Map.of(
              "QUARKUS_HTTP_SSL_PORT",
              String.valueOf(HTTPS_PORT),
              "QUARKUS_HTTP_TLS_CONFIGURATION_NAME",
              "fleet-ca"));

  @TempDir Path work;

  @Test
  void theCommandLineTrustsTheFleetCaForTheAdminPort() {
    Path fleetCa = running.workDir().resolve("keys").resolve("fleet-ca.pem");
    for (String host : new String[] {"localhost", "127.0.0.1"}) {
      String https = "https://" + host + ":" + HTTPS_PORT;
      CliProcess cli = new CliProcess(work.resolve(host + ".yaml"));
      CliProcess.Result refused =
          cli.runWithInput(
              running.server().adminToken() + "\n", "login", "--server", https, "--token", "-");
      assertNotEquals(0, refused.exit(), "a CA nobody said to trust: " + refused);

      CliProcess.Result login =
          cli.runWithInput(
              running.server().adminToken() + "\n",
              "login",
              "--server",
              https,
              "--token",
              "-",
              "--ca",
              fleetCa.toString());
      assertEquals(0, login.exit(), login.toString());
      CliProcess.Result devices = cli.run("devices", "list", "-o", "json");
      assertEquals(0, devices.exit(), devices.toString());
      assertTrue(devices.out().trim().startsWith("["), devices.toString());
    }
  }
}
