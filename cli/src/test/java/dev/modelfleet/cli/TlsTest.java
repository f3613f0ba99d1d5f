package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server with a private CA: refused (exit 7, with what to do) until its CA is given; then
 * trusted, whether given at login or in MODELFLEET_CA.
 */
class TlsTest {

  @TempDir static Path keys;
  static Path caPem;
  static FakeServer server;

  @BeforeAll
  static void anHttpsServerWithItsOwnCertificate() throws Exception {
    Path store = keys.resolve("server.p12");
    caPem = keys.resolve("ca.pem");
    // keytool ships with every JDK: a self-signed certificate is its own CA
    keytool(
        "-genkeypair",
        "-alias",
        "server",
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
        "-keystore",
        store.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        "changeit");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "server",
        "-keystore",
        store.toString(),
        "-storepass",
        "changeit",
        "-file",
        caPem.toString());
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keyStore.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keyStore, "changeit".toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers.getKeyManagers(), null, null);
    server = FakeServer.https(context);
    server.json("GET", "/api/v1/models", 200, "[]");
    server.on(
        "GET",
        "/api/v1/trust/root.pem",
        (exchange, request) -> FakeServer.send(exchange, 200, "application/x-pem-file", "pem"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), output);
  }

  @Test
  void anUntrustedCertificateIsRefusedWithWhatToDo(@TempDir Path dir) {
    int before = server.requests("GET", "/api/v1/models").size();
    Cli.Result result = new Cli(dir.resolve("c.yaml")).against(server, "t").run("models", "list");
    assertEquals(ExitCode.UNREACHABLE, result.exit(), result.toString());
    assertTrue(result.err().startsWith("error: TLS with https://127.0.0.1:"), result.err());
    assertTrue(
        result
            .err()
            .contains(
                "hint: the server's certificate is not signed by a CA this machine trusts: pass the CA with modelfleet login --ca FILE"),
        result.err());
    assertEquals(before, server.requests("GET", "/api/v1/models").size(), "nothing was sent");
  }

  @Test
  void theCaGivenAtLoginIsTrustedFromThenOn(@TempDir Path dir) {
    Cli cli = new Cli(dir.resolve("c.yaml"));
    Cli.Result login =
        cli.run(
            "login", "--server", server.uri().toString(), "--token", "t", "--ca", caPem.toString());
    assertEquals(0, login.exit(), login.toString());
    Cli.Result list = cli.run("models", "list", "-o", "json");
    assertEquals(0, list.exit(), list.toString());
    assertEquals("[ ]\n", list.out());
  }

  @Test
  void theCaCanComeFromTheEnvironment(@TempDir Path dir) {
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .env("MODELFLEET_CA", caPem.toString())
            .run("models", "list");
    assertEquals(0, result.exit(), result.toString());
  }

  @Test
  void aCaFileWithoutACertificateIsAUsageError(@TempDir Path dir) throws Exception {
    Path notPem = dir.resolve("ca.pem");
    Files.writeString(notPem, "hello");
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .run(
                "login",
                "--server",
                server.uri().toString(),
                "--token",
                "t",
                "--ca",
                notPem.toString());
    assertEquals(ExitCode.USAGE, result.exit(), result.toString());
    assertTrue(result.err().contains("holds no PEM certificate"), result.err());
  }
}
