package dev.modelfleet.agent.transport.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

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
}
