package dev.modelfleet.server.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyDirectoryTest {

  @TempDir Path tmp;

  @Test
  void keysAreOwnerOnlyAndSurviveRestarts() throws Exception {
    Path dir = tmp.resolve("keys");
    Ed25519PrivateKeyParameters first = new KeyDirectory(dir).loadOrCreate("root");
    Ed25519PrivateKeyParameters again = new KeyDirectory(dir).loadOrCreate("root");

    assertArrayEquals(first.getEncoded(), again.getEncoded());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("root.key"))));
    assertTrue(Files.readString(dir.resolve("root.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
  }

  /** Replicas starting at once on a shared directory must all end up with the same key. */
  @Test
  void concurrentStartsAgreeOnOneKey() throws Exception {
    Path dir = tmp.resolve("shared");
    Files.createDirectories(dir);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<byte[]>> starts =
          IntStream.range(0, 16)
              .<Callable<byte[]>>mapToObj(
                  i -> () -> new KeyDirectory(dir).loadOrCreate("targets").getEncoded())
              .toList();
      List<Future<byte[]>> keys = pool.invokeAll(starts);
      for (Future<byte[]> key : keys) {
        assertArrayEquals(keys.get(0).get(), key.get());
      }
    } finally {
      pool.shutdownNow();
    }
    try (var files = Files.list(dir)) {
      assertEquals(List.of("targets.key"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  /**
   * The fleet CA keeps its ECDSA key in the same directory: a restart that reads the signing keys
   * must not trip over it (it once stopped the server from starting a second time).
   */
  @Test
  void signingKeysAreFoundBesideTheFleetCaKey() throws Exception {
    Path dir = tmp.resolve("mixed");
    KeyDirectory keys = new KeyDirectory(dir);
    Ed25519PrivateKeyParameters root = keys.loadOrCreate("root");
    Ed25519PrivateKeyParameters rotated = keys.createKey("targets");
    java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
    ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    byte[] pkcs8 = ec.generateKeyPair().getPrivate().getEncoded();
    Files.writeString(
        dir.resolve("fleet-ca.key"),
        "-----BEGIN PRIVATE KEY-----\n"
            + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs8)
            + "\n-----END PRIVATE KEY-----\n");

    var loaded = new KeyDirectory(dir).loadAll();

    assertEquals(2, loaded.size(), loaded.keySet().toString());
    assertTrue(
        loaded.values().stream()
            .anyMatch(k -> java.util.Arrays.equals(k.getEncoded(), root.getEncoded())));
    assertTrue(
        loaded.values().stream()
            .anyMatch(k -> java.util.Arrays.equals(k.getEncoded(), rotated.getEncoded())));
  }
}
