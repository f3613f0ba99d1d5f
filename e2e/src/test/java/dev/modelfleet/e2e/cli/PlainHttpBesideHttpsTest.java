package dev.modelfleet.e2e.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.TestDatabase;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What plain HTTP does once the admin port serves HTTPS (QUARKUS_HTTP_INSECURE_REQUESTS, see
 * docs/operations.md "TLS on the admin port"), on the packaged server: {@code redirect} answers
 * with a redirect to the same address on HTTPS, {@code disabled} leaves the plain port closed. In
 * both the command line works over HTTPS.
 */
class PlainHttpBesideHttpsTest {

  private static final Path TLS = SelfSignedAdminCertificate.create();

  @TempDir Path work;

  @Test
  void redirectAnswersPlainHttpWithTheSameAddressOnHttps() throws Exception {
    int httpsPort = Ports.free();
    try (ServerProcess server = start("redirect", httpsPort)) {
      // HTTP/1.1, as browsers, curl and Prometheus ask: an h2c upgrade gets a 404 instead
      // (Quarkus 3.33; docs/operations.md says so)
      HttpResponse<Void> plain =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  HttpRequest.newBuilder(server.baseUri().resolve("/api/v1/devices?limit=5"))
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      assertTrue(
          plain.statusCode() == 301 || plain.statusCode() == 308, "status " + plain.statusCode());
      URI location = URI.create(plain.headers().firstValue("Location").orElseThrow());
      assertEquals("https", location.getScheme(), location.toString());
      assertEquals(httpsPort, location.getPort(), location.toString());
      assertEquals("/api/v1/devices", location.getPath(), location.toString());
      assertEquals("limit=5", location.getQuery(), location.toString());

      CliProcess.Result plainLogin =
          new CliProcess(work.resolve("plain.yaml"))
              .runWithInput(
                  server.adminToken() + "\n",
                  "login",
                  "--server",
                  server.baseUri().toString(),
                  "--token",
                  "-");
      assertNotEquals(0, plainLogin.exit(), plainLogin.toString());
      assertTrue(
          plainLogin.err().contains("--server https://127.0.0.1:" + httpsPort),
          "the command line says where to log in instead: " + plainLogin);
      assertTheCommandLineWorksOverHttps(server);
    }
  }

  @Test
  void disabledLeavesThePlainPortClosed() throws Exception {
    try (ServerProcess server = start("disabled", Ports.free())) {
      HttpRequest plain =
          HttpRequest.newBuilder(server.baseUri().resolve("/q/health/ready")).build();
      assertThrows(
          ConnectException.class,
          () -> HttpClient.newHttpClient().send(plain, HttpResponse.BodyHandlers.discarding()),
          "nothing may answer plain HTTP on " + server.baseUri());
      assertTheCommandLineWorksOverHttps(server);
    }
  }

  private ServerProcess start(String insecureRequests, int httpsPort) {
    return ServerProcess.start(
        RepoLayout.find(),
        work,
        TestDatabase.NAME,
        Map.of(
            "QUARKUS_HTTP_SSL_PORT",
            String.valueOf(httpsPort),
            "QUARKUS_HTTP_INSECURE_REQUESTS",
            insecureRequests,
            "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_STORE_FILE",
            TLS.resolve("admin.p12").toString(),
            "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_STORE_PASSWORD",
            SelfSignedAdminCertificate.PASSWORD));
  }

  private void assertTheCommandLineWorksOverHttps(ServerProcess server) {
    CliProcess cli = new CliProcess(work.resolve("config.yaml"));
    CliProcess.Result login =
        cli.runWithInput(
            server.adminToken() + "\n",
            "login",
            "--server",
            server.httpsUri().toString(),
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
