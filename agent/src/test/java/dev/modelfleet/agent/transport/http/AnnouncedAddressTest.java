package dev.modelfleet.agent.transport.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The artifact address the server announces is not signed: a malformed or non-HTTP one must only
 * mean "use gRPC", never an exception (thrown on the Sync stream's thread, it cancelled the stream,
 * and the reconnect got the same address: no desired state was ever applied).
 */
class AnnouncedAddressTest {

  final InMemoryArtifactSource grpc = new InMemoryArtifactSource();
  final byte[] artifact = "model bytes".getBytes();
  final String sha = grpc.put(artifact);

  byte[] fetch(PreferHttpArtifactSource source) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    source.fetch(sha, 0, (offset, data, total) -> out.write(data.toByteArray()));
    return out.toByteArray();
  }

  @Test
  void aMalformedOrNonHttpAddressIsIgnoredAndGrpcServes() throws Exception {
    for (String url :
        new String[] {
          "http://bad host/x/", "file:///etc/", "ftp://h/a/", "jar:file:/x.jar!/", "::"
        }) {
      PreferHttpArtifactSource source = new PreferHttpArtifactSource(grpc, () -> "secret");
      assertDoesNotThrow(() -> source.announce(url, 0, "127.0.0.1"), url);
      assertArrayEquals(artifact, fetch(source), url);
    }
  }

  @Test
  void aMalformedHostForTheAnnouncedPortIsIgnoredToo() throws Exception {
    PreferHttpArtifactSource source = new PreferHttpArtifactSource(grpc, () -> "secret");
    assertDoesNotThrow(() -> source.announce("", 8080, "bad host"));
    assertArrayEquals(artifact, fetch(source));
  }

  @Test
  void theHttpsPortIsTakenOnlyWithTheDevicesTls() throws Exception {
    // without mutual TLS there is no device certificate to present: gRPC serves, nothing is asked
    PreferHttpArtifactSource plain = new PreferHttpArtifactSource(grpc, () -> "secret", null);
    plain.announce("", 0, 9443, "127.0.0.1");
    assertArrayEquals(artifact, fetch(plain));
    assertEquals(1, grpc.requestedOffsets.size());

    // with it, the announced port on the server's host is asked with the device's TLS
    java.util.concurrent.atomic.AtomicInteger asked =
        new java.util.concurrent.atomic.AtomicInteger();
    PreferHttpArtifactSource withTls =
        new PreferHttpArtifactSource(
            grpc,
            () -> "secret",
            () -> {
              asked.incrementAndGet();
              return (javax.net.ssl.SSLSocketFactory) javax.net.ssl.SSLSocketFactory.getDefault();
            });
    int closed;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    withTls.announce("", 0, closed, "127.0.0.1");
    assertThrows(dev.modelfleet.agent.download.ArtifactFetchException.class, () -> fetch(withTls));
    assertEquals(1, asked.get(), "the HTTPS attempt used the device's TLS");
    assertArrayEquals(artifact, fetch(withTls), "then gRPC serves");
    assertEquals(2, grpc.requestedOffsets.size());
  }
}
